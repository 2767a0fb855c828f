// Between Boost.Beast's messages and the httplib::Request / httplib::Response every handler takes:
// the request's method, decoded path, query parameters, headers and peer; the answer's status,
// headers and body, with Content-Length always set (HEAD: the length, no body).
#pragma once

#include <httplib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

namespace mlgate::server {

// The request line and headers of `header` as cpp-httplib fills them: path percent-decoded
// (without the query), params from the query, headers as sent, remote and local addresses.
void fill_request(const boost::beast::http::request_header<>& header,
                  const boost::asio::ip::tcp::endpoint& remote,
                  const boost::asio::ip::tcp::endpoint& local, httplib::Request& req);

// A form's fields (application/x-www-form-urlencoded body) added to req.params, as cpp-httplib
// did for routes that do not read their own body.
void add_form_params(httplib::Request& req);

// True when the handler asked to close the connection after this answer.
bool asks_close(const httplib::Response& res);

// The answer to send: `res` with Content-Length (and no body for HEAD) and the keep-alive choice.
boost::beast::http::response<boost::beast::http::string_body> to_beast_response(
    httplib::Response& res, bool head, bool keep_alive, unsigned version);

// A bare answer for what never reached a handler (408, 431, 400, 503): a JSON error, then close.
boost::beast::http::response<boost::beast::http::string_body> bare_response(
    int status, const std::string& code, const std::string& message);

}  // namespace mlgate::server
