// Lower-case hexadecimal encoding of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlgate::util {

// Two lower-case hex digits per byte.
std::string to_hex(const unsigned char* data, std::size_t n);
std::string to_hex(std::string_view bytes);

// Sixteen lower-case hex digits, most significant first ("000000000000002a").
std::string hex_u64(std::uint64_t v);

// The value of one hex digit (either case), or -1 when `c` is not one.
int hex_digit_value(char c);

}  // namespace mlgate::util
