#include "broker/qos/event_store.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"

namespace icb {

using nlohmann::json;

namespace {

std::string Key(std::string_view provider) { return "icb:events:" + std::string(provider); }

// FNV-1a 64: a stable content id, not a security boundary.
std::string ContentId(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "ev-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct Parsed {
  ProviderEvent event;
  std::string kind;
  std::string text;
};

Result<std::vector<Parsed>> LoadParsed(Store& store, std::string_view provider) {
  ICB_ASSIGN_OR_RETURN(auto all, store.HashGetAll(Key(provider)));
  std::vector<Parsed> out;
  for (auto& [id, text] : all) {
    auto doc = ParseJson(text);
    if (!doc.ok()) return Internal("stored event " + id + " is corrupt");
    ICB_ASSIGN_OR_RETURN(ProviderEvent e, EventFromJson(*doc));
    out.push_back({std::move(e), (*doc)["kind"].get<std::string>(), std::move(text)});
  }
  std::sort(out.begin(), out.end(), [](const Parsed& a, const Parsed& b) {
    return a.event.At() != b.event.At() ? a.event.At() < b.event.At() : a.event.id < b.event.id;
  });
  return out;
}

}  // namespace

Result<EventStore::Added> EventStore::Add(std::string_view provider, const json& doc) {
  ICB_RETURN_IF_ERROR(CheckDocument(schemas_, "event.json", doc));
  ICB_RETURN_IF_ERROR(EventFromJson(doc).status());
  json stored = doc;
  if (!stored.contains("id")) stored["id"] = ContentId(doc.dump());
  std::string id = stored["id"].get<std::string>();
  std::string text = stored.dump();
  WriteBatch batch;
  batch.HashSetIfAbsent(Key(provider), id, text);
  ICB_ASSIGN_OR_RETURN(auto results, store_.Apply(batch));
  if (results[0] == 1) return Added{true, text};
  ICB_ASSIGN_OR_RETURN(auto existing, store_.HashGet(Key(provider), id));
  if (existing && *existing == text) return Added{false, text};  // a retry
  return Status(StatusCode::kAlreadyExists, "provider " + std::string(provider) + " already has a different event " + id);
}

Result<std::vector<std::string>> EventStore::List(std::string_view provider, std::optional<std::string> kind,
                                                  std::optional<TimePoint> from, std::optional<TimePoint> to) {
  ICB_ASSIGN_OR_RETURN(auto all, LoadParsed(store_, provider));
  std::vector<std::string> out;
  for (auto& p : all) {
    if (kind && p.kind != *kind) continue;
    if (from && p.event.At() < *from) continue;
    if (to && p.event.At() >= *to) continue;
    out.push_back(std::move(p.text));
  }
  return out;
}

Result<std::vector<ProviderEvent>> EventStore::Load(std::string_view provider) {
  ICB_ASSIGN_OR_RETURN(auto all, LoadParsed(store_, provider));
  std::vector<ProviderEvent> out;
  for (auto& p : all) out.push_back(std::move(p.event));
  return out;
}

}  // namespace icb
