// icbroker keys create|list|revoke: API keys in the same store `serve` uses
// (--data-dir, also while a broker serves it, or --redis), so the first
// admin key can be made before anything listens. `create` prints what
// POST /v1/keys answers, the key's text once.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/auth/key_store.h"
#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/redis_store.h"

namespace icb {

namespace {

struct KeysSettings {
  std::string action, id;
  std::string tenant, role, name;
  std::string data_dir = "./icbroker-data";
  std::string redis;
};

// The store: --redis; else the data directory's embedded Redis, the one a
// serving broker runs (its socket) or one started for this command.
struct OpenedStore {
  std::unique_ptr<EmbeddedRedis> embedded;  // when this command started it
  std::unique_ptr<Store> store;
};

Result<OpenedStore> OpenStore(const KeysSettings& s) {
  OpenedStore out;
  RedisStoreOptions options;
  if (!s.redis.empty()) {
    ICB_ASSIGN_OR_RETURN(options.address, ParseRedisUrl(s.redis));
    options.replica_acks = DefaultReplicaAcks(options.address);
  } else {
    EmbeddedRedisOptions embedded;
    embedded.data_dir = s.data_dir;
    auto started = EmbeddedRedis::Start(embedded);
    if (started.ok()) {
      out.embedded = std::move(*started);
      options.address = out.embedded->address();
    } else if (started.status().code() == StatusCode::kFailedPrecondition) {
      // A broker serves this directory: its Redis listens on the socket.
      options.address.unix_path = s.data_dir + "/redis.sock";
    } else {
      return started.status();
    }
  }
  out.store = NewRedisStore(options);
  ICB_RETURN_IF_ERROR(out.store->Ping());
  return out;
}

int RunKeys(const KeysSettings& s) {
  auto opened = OpenStore(s);
  if (!opened.ok()) {
    PrintStatus("icbroker keys: ", opened.status());
    return 1;
  }
  SystemClock clock;
  KeyStore keys(*opened->store, clock);
  if (s.action == "create") {
    auto made = keys.Create(s.tenant, *ParseRole(s.role), s.name);
    if (!made.ok()) {
      PrintStatus("icbroker keys create: ", made.status());
      return made.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    nlohmann::json j = ApiKeyJson(made->key);
    j["secret"] = made->secret;
    std::printf("%s\n", j.dump(2).c_str());
    std::fprintf(stderr, "icbroker keys: the secret is shown only now; the broker keeps a keyed hash of it\n");
    return 0;
  }
  if (s.action == "list") {
    std::string after;
    nlohmann::json all = nlohmann::json::array();
    while (true) {
      auto page = keys.List(after, kMaxPageItems);
      if (!page.ok()) {
        PrintStatus("icbroker keys list: ", page.status());
        return 1;
      }
      for (const auto& k : page->keys) all.push_back(ApiKeyJson(k));
      if (!page->next) break;
      after = *page->next;
    }
    std::printf("%s\n", nlohmann::json{{"keys", all}}.dump(2).c_str());
    return 0;
  }
  auto revoked = keys.Revoke(s.id);
  if (!revoked.ok()) {
    PrintStatus("icbroker keys revoke: ", revoked.status());
    return 1;
  }
  std::printf("%s\n", ApiKeyJson(*revoked).dump(2).c_str());
  return 0;
}

}  // namespace

CommandRun DefineKeys(CLI::App& sub) {
  auto s = std::make_shared<KeysSettings>();
  sub.add_option("action", s->action, "create, list or revoke")->required()->check(CLI::IsMember({"create", "list", "revoke"}))->type_name("ACTION");
  sub.add_option("id", s->id, "the key to revoke (its id, as list shows)")->type_name("ID");
  sub.add_option("--tenant", s->tenant, "create: the tenant the key acts for")->type_name("TENANT");
  sub.add_option("--role", s->role, "create: admin, operator or reader")->check(CLI::IsMember({"admin", "operator", "reader"}))->type_name("ROLE");
  sub.add_option("--name", s->name, "create: what the key is for, shown when keys are listed")->type_name("NAME");
  sub.add_option("--data-dir", s->data_dir, "the store of the broker serving (or to serve) this folder, as serve's --data-dir")->type_name("DIR")->capture_default_str();
  sub.add_option("--redis", s->redis, "an external Redis instead, as serve's --redis")->type_name("URL");
  return [s]() -> int {
    if (s->action == "create" && (s->tenant.empty() || s->role.empty())) {
      std::fprintf(stderr, "icbroker keys: create needs --tenant and --role\nRun 'icbroker keys --help' for the flags.\n");
      return 2;
    }
    if (s->action == "revoke" && s->id.empty()) {
      std::fprintf(stderr, "icbroker keys: revoke needs the key's id\nRun 'icbroker keys --help' for the flags.\n");
      return 2;
    }
    return RunKeys(*s);
  };
}

}  // namespace icb
