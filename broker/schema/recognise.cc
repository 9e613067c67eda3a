#include "broker/schema/recognise.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace icb {

namespace {

struct Candidate {
  std::string schema;
  Status status;
  size_t declared = 0;    // the document's top-level fields the schema declares
  size_t undeclared = 0;  // and those it does not

  // Better first: valid, then more declared fields, then fewer undeclared.
  bool operator<(const Candidate& o) const {
    return std::make_tuple(!status.ok(), o.declared, undeclared, schema) < std::make_tuple(!o.status.ok(), declared, o.undeclared, o.schema);
  }
};

}  // namespace

Recognition RecogniseDocument(const SchemaSet& schemas, const nlohmann::json& doc) {
  std::vector<Candidate> candidates;
  for (const auto& schema : schemas.DocumentSchemas()) {
    Candidate c{schema, schemas.Validate(schema, doc)};
    const auto fields = schemas.TopLevelProperties(schema);
    const std::set<std::string> declared(fields.begin(), fields.end());
    if (doc.is_object()) {
      for (const auto& [key, _] : doc.items()) (declared.count(key) ? c.declared : c.undeclared) += 1;
    }
    // A document that uses none of a schema's fields is not that kind of
    // document, even when the schema (all fields optional) lets it pass.
    if (c.declared > 0) candidates.push_back(std::move(c));
  }
  Recognition r;
  if (candidates.empty()) {
    r.status = InvalidArgument("no schema declares any of this document's top-level fields");
    return r;
  }
  std::sort(candidates.begin(), candidates.end());
  r.schema = candidates.front().schema;
  r.status = candidates.front().status;
  for (size_t i = 1; i < candidates.size(); ++i)
    if (candidates[i].status.ok()) r.also_valid.push_back(candidates[i].schema);
  return r;
}

}  // namespace icb
