#include "pickle/names.h"

#include <gtest/gtest.h>

#include "pickle/test_util.h"

namespace mats::pickle::internal {
namespace {

TEST(ResolveNameTest, Python2NamesBelowProtocol3) {
  EXPECT_EQ(ResolveName("__builtin__", "eval", 2).full, "builtins.eval");
  EXPECT_EQ(ResolveName("__builtin__", "eval", 0).full, "builtins.eval");
  EXPECT_EQ(ResolveName("__builtin__", "eval", 3).full, "__builtin__.eval");
  EXPECT_EQ(ResolveName("copy_reg", "_reconstructor", 2).full,
            "copyreg._reconstructor");
  EXPECT_EQ(ResolveName("commands", "getoutput", 1).full, "subprocess.getoutput");
  EXPECT_EQ(ResolveName("urllib2", "urlopen", 2).full, "urllib.request.urlopen");
  // NAME_MAPPING takes precedence over IMPORT_MAPPING.
  EXPECT_EQ(ResolveName("__builtin__", "reduce", 2).full, "functools.reduce");
  EXPECT_EQ(ResolveName("UserDict", "IterableUserDict", 2).full,
            "collections.UserDict");
  EXPECT_TRUE(ResolveName("copy_reg", "x", 2).remapped);
  EXPECT_FALSE(ResolveName("mylib", "x", 2).remapped);
}

TEST(ResolveNameTest, DottedNames) {
  ResolvedName n = ResolveName("pathlib", "os.system", 4);
  EXPECT_TRUE(n.dotted);
  EXPECT_EQ(n.full, "pathlib.os.system");
  EXPECT_FALSE(ResolveName("os", "system", 4).dotted);
}

TEST(ClassifyNameTest, Classes) {
  Policy p = pickle::testing::DefaultPicklePolicy();
  auto cls = [&](std::string_view m, std::string_view n, int proto = 4) {
    return ClassifyName(p, ResolveName(m, n, proto));
  };
  EXPECT_EQ(cls("posix", "system").kind, NameClass::kDenied);
  EXPECT_EQ(cls("posix", "system").entry->severity, Severity::kCritical);
  EXPECT_EQ(cls("collections", "OrderedDict").kind, NameClass::kAllowed);
  EXPECT_EQ(cls("mylib", "Model").kind, NameClass::kUnknown);
  // Dotted: a denied suffix wins even under an innocent module.
  Classification c = cls("pathlib", "os.system");
  EXPECT_EQ(c.kind, NameClass::kDenied);
  EXPECT_EQ(c.matched, "os.system");
  // Dotted below an allowlisted class or module is not allowed.
  EXPECT_EQ(cls("collections", "OrderedDict.fromkeys").kind, NameClass::kDotted);
  EXPECT_EQ(cls("sklearn.linear_model", "LogisticRegression.fit").kind,
            NameClass::kDotted);
  EXPECT_EQ(cls("mylib", "Outer.Inner").kind, NameClass::kUnknown);
  // A verbatim allow entry for a dotted name allows it.
  PolicyEntry e;
  e.domain = "pickle";
  e.name = "mylib.Outer.Inner";
  e.action = PolicyAction::kAllow;
  e.exact = true;
  p.Add(e);
  EXPECT_EQ(cls("mylib", "Outer.Inner").kind, NameClass::kAllowed);
  // Longest match: an exact allow inside a denied package.
  EXPECT_EQ(cls("joblib.numpy_pickle", "NumpyArrayWrapper").kind,
            NameClass::kAllowed);
  EXPECT_EQ(cls("joblib.numpy_pickle", "load").kind, NameClass::kDenied);
  // A deny entry inside a broad allow.
  EXPECT_EQ(cls("sklearn.datasets", "fetch_openml").kind, NameClass::kDenied);
  EXPECT_EQ(cls("sklearn.metrics._scorer", "partial").kind, NameClass::kDenied);
}

}  // namespace
}  // namespace mats::pickle::internal
