// Files compiled into the binary (schemas, the demo catalog); see cmake/Embed.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace icb {

struct EmbeddedFile {
  std::string_view path;     // relative to the embedded directory
  std::string_view content;
};

const std::vector<EmbeddedFile>& EmbeddedSchemas();      // schemas/*.json, schemas/examples/**
const std::vector<EmbeddedFile>& EmbeddedDemoCatalog();  // deploy/demo/**
const std::vector<EmbeddedFile>& EmbeddedConsole();      // console/*: the operator console at /ui/

}  // namespace icb
