// Small document builders shared by the unit tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace icb::testing {

inline nlohmann::json ProviderDoc(const std::string& id, const std::string& model = "IaaS", const std::string& country = "KR") {
  return {{"id", id}, {"name", "Provider " + id}, {"service_model", model}, {"regions", {{{"id", "r1"}, {"country", country}}}}};
}

inline nlohmann::json SlaDoc(const std::string& version, const std::string& from, nlohmann::json targets) {
  return {{"version", version}, {"effective_from", from}, {"targets", std::move(targets)}};
}

}  // namespace icb::testing
