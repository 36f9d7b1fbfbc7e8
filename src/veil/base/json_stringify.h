// JSON writer that produces exactly the bytes JavaScript's JSON.stringify
// produces for the same value (ECMA-262 sections 25.5.2 and 6.1.6.1.20).
//
// Why: widely used verifiers of NEAR-style response signatures hash
// JSON.stringify(JSON.parse(body)) instead of the raw body, so every signed
// JSON body Veil writes must already be in that form: compact, keys in
// insertion order, numbers in Number::toString form, strings escaped as
// JSON.stringify escapes them (non-ASCII left raw, U+2028/2029 raw).
//
// Contract: callers must not emit integer-like object keys ("0", "17"):
// JSON.parse would reorder them. Integers beyond 2^53 are written the way
// JavaScript would print them after parsing (as the nearest double).
#pragma once

#include <string>
#include <string_view>

namespace boost::json {
class value;
}

namespace veil {

std::string js_stringify(const boost::json::value& v);
void js_stringify_append(const boost::json::value& v, std::string& out);

// ECMA-262 Number::toString for a finite double; "null" for NaN/Infinity
// (what JSON.stringify writes for them).
std::string js_number(double x);
// A JSON string literal (with quotes), escaped as JSON.stringify does.
// Invalid UTF-8 is replaced by U+FFFD so the output is always valid UTF-8.
void js_quote_append(std::string_view s, std::string& out);

}  // namespace veil
