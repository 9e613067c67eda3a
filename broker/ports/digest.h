// SHA-256 over a stream of chunks whose state can be saved between chunks
// and restored in another process: a migration killed part-way through a
// large object resumes hashing where its last stored part ended instead of
// reading the object from byte 0 again.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace icb {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;

  void Update(std::string_view data);
  // Bytes hashed so far.
  unsigned long long size() const;
  // The state as text (hex), for a manifest; Restore gives it back.
  std::string Save() const;
  static std::optional<Sha256Stream> Restore(std::string_view saved);
  // The digest in lower-case hex; the stream is spent afterwards.
  std::string FinalHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHA-256 of `data` in lower-case hex.
std::string Sha256Hex(std::string_view data);

}  // namespace icb
