// predictions.jsonl -> Prediction rows (the contract is docs/results.md). One JSON object a line:
// {"id": "a7", "label": 1, "score": 0.93, "truth": 0, "slices": {"size_band": "small"}}.
//
// - id: a non-empty string or an integer, stored as text; 7 and "7" are the same id, so having
//   both is a duplicate-id error.
// - label: optional, any JSON scalar, kept as its compact JSON text (1, "1" and true differ),
//   a whole number written as a decimal as that integer (1.0 and 1e2 read as 1 and 100);
//   absent -> "" (which no JSON text equals).
// - score, value: optional numbers (NaN/Infinity/-Infinity accepted); null or absent -> nullopt.
// - truth: optional JSON scalar kept as label text like label; null or absent -> nullopt.
// - slices: optional object, feature -> string (kept without quotes), number or boolean (kept as
//   label text); a null member is left out; at most max_slices members.
// - scores: optional object, label -> number; a member name that is a JSON number, true, false or
//   null names that label ("1" is the label 1), any other name the string label; at most
//   max_scores members, no label named twice.
// - a line needs a label, a score or a value; other members are ignored.
// Blank lines are skipped; "\r\n" line ends are fine. Pure: takes the text, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse_error.h"
#include "core/results.h"

namespace mlgate::core {

struct PredictionsOptions {
  std::string file_name = "predictions.jsonl";  // used in ParseError::file
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_lines = 1'000'000;  // predictions (non-blank lines)
  // One line: a prediction is a few hundred bytes (64 slices and 64 scores at most); a parsed line
  // takes many times its size in memory, so a huge one is refused before it is parsed.
  std::size_t max_line_bytes = std::size_t{1} << 20;
  int max_depth = 64;           // nesting inside one line (ignored members included)
  std::size_t max_slices = 64;  // members of "slices" on one line
  std::size_t max_scores = 64;  // members of "scores" on one line
};

// Rows in file order. The first error in file order wins, with its line and column.
Parsed<std::vector<Prediction>> parse_predictions_jsonl(std::string_view text,
                                                        const PredictionsOptions& options = {});

}  // namespace mlgate::core
