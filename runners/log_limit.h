// Caps how much of a job's output is kept. A job that prints without end (a loop, `yes`) must not
// fill the runner's memory, the server's database or a person's browser; it keeps running, only
// its output past the cap is dropped, and the log says so once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlgate::runners {

class LogLimit {
 public:
  static constexpr std::size_t kDefaultMaxBytes = 4 * 1024 * 1024;

  explicit LogLimit(std::size_t max_bytes = kDefaultMaxBytes);

  // The part of `chunk` to keep. Up to max_bytes of output in total are returned as they come; the
  // chunk that crosses the cap is cut there (moved back to the start of a UTF-8 character, so the
  // kept log stays valid UTF-8 when the output was) and followed, once, by truncation_marker().
  // After that every chunk yields "". The marker is in addition to the cap.
  std::string take(std::string_view chunk);

  bool truncated() const { return truncated_; }
  // Every byte offered to take(), kept or not.
  std::size_t seen_bytes() const { return seen_; }
  // Bytes of output returned by take(), the marker not counted.
  std::size_t kept_bytes() const { return kept_; }
  std::size_t max_bytes() const { return max_; }

  // "\n[mlgate: log truncated at 4.0 MiB; the job keeps running, its remaining output is not
  // kept]\n" for this cap.
  std::string truncation_marker() const;

 private:
  std::size_t max_;
  std::size_t seen_ = 0;
  std::size_t kept_ = 0;
  bool truncated_ = false;
};

// "512 bytes", "4.0 KiB", "4.0 MiB", "1.5 GiB".
std::string human_bytes(std::size_t bytes);

}  // namespace mlgate::runners
