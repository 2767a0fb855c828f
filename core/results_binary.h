// A job's results (core/results.h) as compact bytes, one document per kind: what the store keeps
// beside the rows of test_cases, metrics and predictions so that the gate reads a finished job's
// results as a few values and parses no text (docs/results.md, "Compact results"). Pure.
//
// Layout, integers little-endian, doubles as their IEEE 754 bits, every text a u32 length and its
// bytes:
//   tests:       "MGT1", u32 n, n x (name, classname, u8 status, f64 time_seconds, message,
//                u32 m, m x mltest id)
//   metrics:     "MGM1", u32 n, n x (name, slice_key, slice_value, u8 has_n, [i64 n], f64 value)
//   predictions: "MGR1", u32 n, n x (id, label, u8 present (1 score, 2 truth, 4 value), [f64
//                score], [truth], [f64 value], u32 s, s x (slice key, slice value), u32 c, c x
//                (label, f64 probability))
// The bytes hold the results as the rows read them back (store/results.h): readers of either give
// the same values in the same order. Reading checks what the rows' constraints and core/results.h
// promise (a metric has a name, a global metric no slice value, n >= 0; predictions in strictly
// increasing id order, slices and scores sorted with distinct keys; known status and flags) and
// that the bytes end where the document does: anything else throws std::invalid_argument naming the
// problem, never a partial result.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/results.h"

namespace mlgate::core {

std::string tests_to_binary(const std::vector<TestCase>& tests);
std::string metrics_to_binary(const std::vector<Metric>& metrics);
std::string predictions_to_binary(const std::vector<Prediction>& predictions);

std::vector<TestCase> tests_from_binary(std::string_view bytes);
std::vector<Metric> metrics_from_binary(std::string_view bytes);
std::vector<Prediction> predictions_from_binary(std::string_view bytes);

}  // namespace mlgate::core
