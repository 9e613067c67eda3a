// The file adapter: the object-store conformance suite over a temporary
// folder, and keys that must never reach outside it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapters/file/file_object_store.h"
#include "tests/support/object_store_conformance.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

struct FileStores {
  static constexpr size_t kLarge = 3 << 20;
  testing::TempDir dir;
  std::unique_ptr<ObjectStore> Make() { return NewFileObjectStore({dir.path() + "/store", 256 << 10}); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(File, ObjectStoreConformance, FileStores);

TEST(FileStore, KeysStayInsideTheFolder) {
  for (const char* bad : {"", "/etc/passwd", "../outside", "a/../../b", "a//b", "./a", "dir/", ".icb-partial/x"})
    EXPECT_EQ(CheckFileKey(bad).code(), StatusCode::kInvalidArgument) << bad;
  EXPECT_EQ(CheckFileKey(std::string("a\0b", 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckFileKey(std::string(256, 'x')).code(), StatusCode::kInvalidArgument);
  for (const char* good : {"a", "a/b/c.txt", "with space", "unicode/한글", "..a", "a..", "a/.hidden"}) EXPECT_TRUE(CheckFileKey(good).ok()) << good;

  testing::TempDir dir;
  auto store = NewFileObjectStore({dir.path() + "/store", 1 << 20});
  ASSERT_TRUE(store->EnsureContainer().ok());
  StringSource source("x");
  EXPECT_EQ(store->Put("../escaped", source, 1).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/escaped"));
  EXPECT_EQ(store->Head("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  // A symbolic link inside the folder is not followed or listed.
  std::ofstream(dir.path() + "/secret") << "outside";
  std::filesystem::create_symlink(dir.path() + "/secret", dir.path() + "/store/link");
  EXPECT_EQ(store->Head("link").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadAll(*store, "link").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListAll(*store, "")->empty());
  std::filesystem::create_directory(dir.path() + "/elsewhere");
  std::ofstream(dir.path() + "/elsewhere/file") << "outside";
  std::filesystem::create_directory_symlink(dir.path() + "/elsewhere", dir.path() + "/store/linkdir");
  EXPECT_EQ(store->Head("linkdir/file").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadAll(*store, "linkdir/file").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(PutString(*store, "linkdir/new", "x").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/elsewhere/new"));
  EXPECT_TRUE(store->Delete("linkdir/file").code() == StatusCode::kNotFound || std::filesystem::exists(dir.path() + "/elsewhere/file"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/elsewhere/file"));
  // An object where a folder of others is, and the other way round.
  ASSERT_TRUE(PutString(*store, "d/inner", "1").ok());
  EXPECT_EQ(PutString(*store, "d", "2").code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(PutString(*store, "d/inner/deeper", "3").ok());
  EXPECT_EQ(*ReadAll(*store, "d/inner"), "1");
  // Deleting the last object of a folder removes the folder.
  ASSERT_TRUE(store->Delete("d/inner").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/store/d"));
  ASSERT_TRUE(PutString(*store, "d", "now a file").ok());
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// serve --file-roots: a file store's folder, its links resolved, lies under
// a root; a sibling sharing the root's spelling, "..", a link out, a
// relative path and no roots at all are refused.
TEST(FileRoots, OnlyFoldersUnderARootAreUsed) {
  testing::TempDir tmp;
  const std::string root = std::filesystem::canonical(tmp.path()).string() + "/data";
  std::filesystem::create_directories(root + "/a");
  std::filesystem::create_directories(root + "2");
  std::filesystem::create_directory_symlink("/etc", root + "/out");
  const std::vector<std::string> roots = {root};
  EXPECT_TRUE(CheckUnderFileRoots(root, roots).ok());
  EXPECT_TRUE(CheckUnderFileRoots(root + "/a", roots).ok());
  EXPECT_TRUE(CheckUnderFileRoots(root + "/not-yet/made", roots).ok());
  for (const std::string& outside : {root + "2", root + "/../data2/x", root + "/out", root + "/out/passwd", std::string("data/a"), std::string("/")}) {
    Status s = CheckUnderFileRoots(outside, roots);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << outside;
  }
  EXPECT_EQ(CheckUnderFileRoots(root, {}).code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace icb
