#include "broker/auth/tenant_space.h"

namespace icb {

namespace {

bool IdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == kTenantSeparator; }

}  // namespace

TenantSpace TenantSpace::OfTenant(std::string_view tenant) {
  if (tenant == kDefaultTenant) return Default();
  return TenantSpace(std::string(tenant) + kTenantSeparator);
}

TenantSpace TenantSpace::Of(std::string_view stored_id) {
  const size_t sep = stored_id.find(kTenantSeparator);
  if (sep == std::string_view::npos) return Default();
  return TenantSpace(std::string(stored_id.substr(0, sep + 1)));
}

std::string TenantSpace::IndexKey(std::string_view default_key) const {
  if (is_default()) return std::string(default_key);
  // "icb:workloads:ids" -> "icb:t:acme:workloads:ids"; the broker's space is "icb:t::...".
  std::string_view rest = default_key.substr(default_key.rfind("icb:", 0) == 0 ? 4 : 0);
  return "icb:t:" + prefix_.substr(0, prefix_.size() - 1) + ":" + std::string(rest);
}

std::string TenantSpace::Unscope(std::string_view text) const {
  if (prefix_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t from = 0;
  for (size_t at = text.find(prefix_); at != std::string_view::npos; at = text.find(prefix_, at + 1)) {
    if (at > 0 && IdChar(text[at - 1])) continue;  // inside another id ("xacme~web")
    out.append(text, from, at - from);
    from = at + prefix_.size();
  }
  out.append(text, from, std::string_view::npos);
  return out;
}

bool Scope::Sees(std::string_view stored_id) const {
  const TenantSpace space = TenantSpace::Of(stored_id);
  return space == own_ || (sees_broker_ && space.is_broker());
}

std::optional<std::string> Scope::Stored(std::string_view local_id) const {
  const size_t sep = local_id.find(kTenantSeparator);
  if (sep == std::string_view::npos) return own_.Scoped(local_id);
  // The broker's own ids are shown as they are stored ("~recovery-...").
  if (sep == 0 && sees_broker_ && local_id.find(kTenantSeparator, 1) == std::string_view::npos) return std::string(local_id);
  return std::nullopt;
}

std::vector<TenantSpace> Scope::Spaces() const {
  std::vector<TenantSpace> out = {own_};
  if (sees_broker_) out.push_back(TenantSpace::Broker());
  return out;
}

}  // namespace icb
