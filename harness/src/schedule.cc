#include "weft/harness/schedule.h"

#include <fmt/format.h>

#include "weft/errors.h"

namespace weft::harness {

namespace {
constexpr std::string_view kPrefix = "w1.";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::uint32_t fnv1a(std::string_view bytes) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

[[noreturn]] void bad(std::string_view token, std::string_view what) {
  std::string shown(token.substr(0, 40));
  if (token.size() > 40) shown += "...";
  throw UsageError(fmt::format(
      "weft: replay token '{}' is invalid: {}. Expected the token printed after WEFT_REPLAY= in "
      "a failure report (form: w1.<base64url>.<8 hex digits>), copied whole",
      shown, what));
}
}  // namespace

std::string encodeSchedule(const Schedule& s) {
  std::string bytes;
  for (const Decision& d : s.decisions) {
    if (d.kind == Decision::Kind::kRun) {
      putVarint(bytes, d.value * 2);
    } else {
      putVarint(bytes, 1);
      putVarint(bytes, d.value);
    }
  }
  std::string out(kPrefix);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  out += fmt::format(".{:08x}", fnv1a(bytes));
  return out;
}

Schedule decodeSchedule(std::string_view token) {
  if (token.substr(0, kPrefix.size()) != kPrefix) {
    bad(token, "it does not start with 'w1.'");
  }
  std::string_view rest = token.substr(kPrefix.size());
  std::size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos || rest.size() - dot - 1 != 8) {
    bad(token, "it does not end with '.' and an 8-digit checksum (truncated?)");
  }
  std::string_view body = rest.substr(0, dot);
  std::string bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    const char* p = std::char_traits<char>::find(kAlphabet, 64, c);
    if (p == nullptr) bad(token, fmt::format("character '{}' is not base64url", c));
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  std::uint32_t sum = 0;
  for (char c : rest.substr(dot + 1)) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) bad(token, "the checksum is not lowercase hex");
    sum = (sum << 4) | static_cast<std::uint32_t>(v);
  }
  if (sum != fnv1a(bytes)) bad(token, "the checksum does not match (mistyped or truncated)");

  Schedule s;
  std::size_t i = 0;
  auto getVarint = [&]() -> std::uint64_t {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= bytes.size()) bad(token, "it ends inside a number");
      auto b = static_cast<unsigned char>(bytes[i++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    bad(token, "a number is too long");
  };
  while (i < bytes.size()) {
    std::uint64_t v = getVarint();
    if (v == 1) {
      s.decisions.push_back({Decision::Kind::kRandom, getVarint()});
    } else if (v >= 2 && v % 2 == 0) {
      s.decisions.push_back({Decision::Kind::kRun, v / 2});
    } else {
      bad(token, "it contains an unknown decision tag");
    }
  }
  return s;
}

}  // namespace weft::harness
