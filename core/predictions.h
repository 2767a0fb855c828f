// predictions.jsonl -> Prediction rows (the contract is docs/results.md). One JSON object a line:
// {"id": "a7", "label": 1, "score": 0.93}.
//
// - id: a non-empty string or an integer, stored as text; 7 and "7" are the same id, so having
//   both is a duplicate-id error.
// - label: optional, any JSON scalar, kept as its compact JSON text (1, "1" and true differ),
//   a whole number written as a decimal as that integer (1.0 and 1e2 read as 1 and 100);
//   absent -> "" (which no JSON text equals).
// - score: optional number (NaN/Infinity/-Infinity accepted); null or absent -> nullopt.
// - a line needs a label or a score; other members are ignored.
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
  int max_depth = 64;                 // nesting inside one line (ignored members included)
};

// Rows in file order. The first error in file order wins, with its line and column.
Parsed<std::vector<Prediction>> parse_predictions_jsonl(std::string_view text,
                                                        const PredictionsOptions& options = {});

}  // namespace mlgate::core
