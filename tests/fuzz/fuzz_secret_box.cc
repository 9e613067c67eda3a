// Sealed secrets and key files (broker/auth/secret_box.h): any stored value
// either opens to what was sealed or is refused, and any key file text loads
// or is refused; never a crash, and no refusal quotes the key text. The same
// input as a credential's fields (PUT /v1/credentials/{id}): checked, or
// refused without quoting a value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "broker/auth/credential_store.h"
#include "broker/auth/secret_box.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  static const icb::SecretKeyRing ring =
      *icb::SecretKeyRing::FromText("k2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n"
                                    "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  auto opened = ring.Open("name", input);
  if (opened.ok() && !input.starts_with("icbseal1.k")) std::abort();
  // What this input seals to opens to it again (anything Seal takes; more
  // is refused by its callers: credential_store's bound).
  if (input.size() <= icb::SecretKeyRing::kMaxPlaintextBytes) {
    auto again = ring.Open("name", ring.Seal("name", input));
    if (!again.ok() || *again != input) std::abort();
  }
  auto loaded = icb::SecretKeyRing::FromText(input);
  if (!loaded.ok() && input.size() >= 64) {
    // A refusal names a line and what is wrong with it, never a key's digits.
    const std::string& m = loaded.status().message();
    for (size_t i = 0; i + 64 <= input.size(); i += 64)
      if (m.find(input.substr(i, 64)) != std::string::npos && input.substr(i, 64).find_first_not_of("0123456789abcdefABCDEF") == std::string::npos)
        std::abort();
  }
  const nlohmann::json fields = nlohmann::json::parse(input, nullptr, false);
  if (!fields.is_discarded()) {
    // A refusal does not depend on what the string values say: the same
    // fields with every letter and digit of every string value replaced
    // (lengths kept, raw and as JSON) are refused in the very same words.
    // (A value may still appear in a refusal by chance, as part of a field
    // name or of the message's own words; it is not shown as a value.)
    const icb::Status s = icb::CheckCredentialFields(fields);
    if (!s.ok() && fields.is_object()) {
      nlohmann::json masked = fields;
      for (auto& [name, value] : masked.items()) {
        if (!value.is_string()) continue;
        std::string text = value.get<std::string>();
        for (char& c : text)
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) c = '*';
        value = text;
      }
      const icb::Status m = icb::CheckCredentialFields(masked);
      if (m.ok() || m.ToString() != s.ToString()) std::abort();
    }
  }
  return 0;
}
