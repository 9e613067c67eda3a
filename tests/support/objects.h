// Objects for tests: bytes of any length, one put, one read.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "broker/ports/object_store.h"

namespace icb {

// Stores `data` under `key` in one put.
inline Status PutString(ObjectStore& store, std::string_view key, std::string_view data) {
  StringSource source(data);
  return store.Put(key, source, data.size());
}

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline Result<std::string> ReadAll(ObjectStore& store, std::string_view key, size_t* chunks = nullptr) {
  std::string out;
  size_t n = 0;
  Status st = store.Get(key, [&](std::string_view chunk) {
    out.append(chunk);
    ++n;
    return Status::Ok();
  });
  if (chunks) *chunks = n;
  if (!st.ok()) return st;
  return out;
}

namespace testing {

// Deterministic bytes of any length, different per seed.
inline std::string Bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u ^ seed;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

inline void PutObject(ObjectStore& store, const std::string& key, const std::string& data) { ASSERT_TRUE(PutString(store, key, data).ok()); }

// The object's bytes, or "<the error>".
inline std::string Read(ObjectStore& store, const std::string& key) {
  auto all = ReadAll(store, key);
  return all.ok() ? *all : "<" + all.status().ToString() + ">";
}

}  // namespace testing
}  // namespace icb
