// The one door for documents: parse text, validate against a JSON Schema, and
// report every violation with its JSON pointer.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/core/status.h"

namespace icb {

// Parses trusted JSON text (the broker's own files, stored documents, offline
// inputs) within JsonLimits::Trusted(); what clients send goes through
// ParseJsonBounded (json_input.h) with the API's limits. Malformed text is
// InvalidArgument with one FieldError whose message gives the byte offset.
Result<nlohmann::json> ParseJson(std::string_view text);

class SchemaSet {
 public:
  // Compiles every schema in the embedded schemas/ directory.
  static Result<std::shared_ptr<const SchemaSet>> LoadEmbedded();
  // Compiles schemas from a map of file name -> text (tests use this).
  static Result<std::shared_ptr<const SchemaSet>> Load(const std::map<std::string, std::string>& files);
  // Compiles only `roots` ("file#/pointer") and what they reference, e.g. the
  // answer schemas inside an OpenAPI description (the contract test).
  static Result<std::shared_ptr<const SchemaSet>> LoadRoots(const std::map<std::string, std::string>& files,
                                                            const std::vector<std::string>& roots);

  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // `schema` is a file name ("provider.json") or a file name with a pointer to
  // a definition ("event.json#/definitions/backup"). Returns InvalidArgument
  // listing each violation at its deepest JSON pointer. Thread-safe.
  Status Validate(std::string_view schema, const nlohmann::json& doc) const;

  // ParseJson followed by Validate.
  Result<nlohmann::json> ParseAndValidate(std::string_view schema, std::string_view text) const;

  bool Has(std::string_view schema) const;
  // The top-level properties of schema file `schema` marked writeOnly: the
  // adapters' secrets, which come from the credentials file, never documents.
  std::vector<std::string> WriteOnlyProperties(std::string_view schema) const;
  // The schema files that describe a document (those declaring top-level
  // properties), and the properties each declares: what RecogniseDocument
  // judges a document by.
  std::vector<std::string> DocumentSchemas() const;
  std::vector<std::string> TopLevelProperties(std::string_view schema) const;

 private:
  struct Impl;
  explicit SchemaSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Builds an RFC 6901 pointer from reference tokens.
std::string JsonPointer(std::initializer_list<std::string_view> tokens);
std::string JsonPointerAppend(std::string_view base, std::string_view token);

}  // namespace icb
