#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/mapped_file.h"
#include "mats/repo/repo.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::repo {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Fixture(const std::string& name) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) +
                                   "/tests/fixtures/repo/" + name,
                               1 << 20);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : std::string();
}

size_t Count(const std::vector<Finding>& f, std::string_view rule) {
  size_t n = 0;
  for (const Finding& x : f)
    if (x.rule_id == rule) ++n;
  return n;
}

const Finding* Find(const std::vector<Finding>& f, std::string_view rule) {
  for (const Finding& x : f)
    if (x.rule_id == rule) return &x;
  return nullptr;
}

TEST(PythonReviewTest, EvilModelingFile) {
  std::vector<Finding> f = ReviewPython(Fixture("remote_code/modeling_evil.py"));
  EXPECT_EQ(Count(f, kRulePyProcess), 2u);  // os.system via alias, check_output
  const Finding* p = Find(f, kRulePyProcess);
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->message, HasSubstr("os.system"));
  EXPECT_THAT(p->evidence, HasSubstr("MATS-TEST-MARKER"));
  EXPECT_EQ(p->severity, Severity::kCritical);
  const Finding* d = Find(f, kRulePyDynamicCode);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kCritical);
  EXPECT_THAT(d->message, HasSubstr("base64.b64decode"));
  EXPECT_EQ(Count(f, kRulePyBlob), 1u);
  EXPECT_EQ(Count(f, kRulePySensitivePath), 1u);
  EXPECT_EQ(Count(f, kRulePyCredentials), 1u);
}

TEST(PythonReviewTest, BenignConfigurationFile) {
  EXPECT_THAT(ReviewPython(Fixture("remote_code/configuration_evil.py")), IsEmpty());
}

TEST(PythonReviewTest, MethodsNamedLikeBuiltinsAreNotCalls) {
  EXPECT_THAT(ReviewPython("model.eval()\nx = re.compile('a')\n"
                           "torch.compile(m)\nfoo().eval()\n"
                           "def exec(self):\n  pass\nclass eval:\n  pass\n"),
              IsEmpty());
}

TEST(PythonReviewTest, StringsAndCommentsAreNotCode) {
  EXPECT_THAT(ReviewPython("# os.system('x')\ns = 'os.system(1)'\n"
                           "t = \"\"\"\nsubprocess.run(['x'])\n\"\"\"\n"
                           "u = rb'eval(1)'\n"),
              IsEmpty());
}

TEST(PythonReviewTest, ImportForms) {
  auto f = ReviewPython("import subprocess as sp\nsp.Popen(['x'])\n");
  EXPECT_EQ(Count(f, kRulePyProcess), 1u);
  f = ReviewPython("from os import system\nsystem('x')\n");
  EXPECT_EQ(Count(f, kRulePyProcess), 1u);
  f = ReviewPython("from os import (popen as p,\n  getcwd)\np('x')\n");
  EXPECT_EQ(Count(f, kRulePyProcess), 1u);
  f = ReviewPython("import os.path, pty\npty.spawn('/bin/sh')\n");
  EXPECT_EQ(Count(f, kRulePyProcess), 1u);
  f = ReviewPython("import os\nos.execv('/bin/sh', [])\nos.getcwd()\n");
  EXPECT_EQ(Count(f, kRulePyProcess), 1u);
}

TEST(PythonReviewTest, EvidenceNamesTheLine) {
  auto f = ReviewPython("import os\n\nos.system('a')\nx = 1\nos.popen('b')\n");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_THAT(f[0].evidence, HasSubstr("line 3: os.system("));
  EXPECT_THAT(f[1].evidence, HasSubstr("line 5: os.popen("));
}

TEST(PythonReviewTest, GetattrOnModules) {
  auto f = ReviewPython("import os\ngetattr(os, 'system')('id')\n");
  ASSERT_EQ(Count(f, kRulePyProcess), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("os.system"));
  EXPECT_EQ(Count(ReviewPython("import builtins\ngetattr(builtins, 'exec')(s)\n"),
                  kRulePyDynamicCode),
            1u);
  EXPECT_THAT(ReviewPython("getattr(self, 'system')\ngetattr(os, name)\n"), IsEmpty());
}

TEST(PythonReviewTest, Network) {
  auto f = ReviewPython("import socket\ns = socket.socket()\n");
  ASSERT_EQ(Count(f, kRulePyNetwork), 1u);
  EXPECT_EQ(Find(f, kRulePyNetwork)->severity, Severity::kHigh);
  f = ReviewPython("import requests\nrequests.get('https://x')\n");
  ASSERT_EQ(Count(f, kRulePyNetwork), 1u);
  EXPECT_EQ(Find(f, kRulePyNetwork)->severity, Severity::kMedium);
  EXPECT_EQ(Count(ReviewPython("import json\njson.loads('{}')\n"), kRulePyNetwork), 0u);
}

TEST(PythonReviewTest, DynamicCode) {
  auto f = ReviewPython("eval(user_input)\n");
  ASSERT_EQ(Count(f, kRulePyDynamicCode), 1u);
  EXPECT_EQ(Find(f, kRulePyDynamicCode)->severity, Severity::kHigh);
  f = ReviewPython("import importlib\nimportlib.import_module(name)\n");
  EXPECT_EQ(Count(f, kRulePyDynamicCode), 1u);
  f = ReviewPython("import pickle\npickle.loads(b)\n");
  EXPECT_EQ(Count(f, kRulePyDynamicCode), 1u);
  f = ReviewPython("import zlib\nexec(zlib.decompress(b))\n");
  EXPECT_EQ(Find(f, kRulePyDynamicCode)->severity, Severity::kCritical);
  f = ReviewPython("__import__('os')\n");
  EXPECT_EQ(Count(f, kRulePyDynamicCode), 1u);
}

TEST(PythonReviewTest, BlobThreshold) {
  std::string b199(199, 'A');
  std::string b200(200, 'A');
  EXPECT_EQ(Count(ReviewPython("x = '" + b199 + "'\n"), kRulePyBlob), 0u);
  EXPECT_EQ(Count(ReviewPython("x = '" + b200 + "'\n"), kRulePyBlob), 1u);
  std::string prose;
  while (prose.size() < 400) prose += "a docstring with spaces ";
  EXPECT_EQ(Count(ReviewPython("\"\"\"" + prose + "\"\"\"\n"), kRulePyBlob), 0u);
}

TEST(PythonReviewTest, SensitivePathsAndCredentials) {
  EXPECT_EQ(Count(ReviewPython("open('/etc/passwd')\n"), kRulePySensitivePath), 1u);
  EXPECT_EQ(Count(ReviewPython("open('data/train.txt')\n"), kRulePySensitivePath), 0u);
  EXPECT_EQ(Count(ReviewPython("import os\nos.getenv('AWS_SECRET_ACCESS_KEY')\n"),
                  kRulePyCredentials),
            1u);
  EXPECT_EQ(Count(ReviewPython("import os\nos.environ['CUDA_VISIBLE_DEVICES']\n"),
                  kRulePyCredentials),
            0u);
}

TEST(PythonReviewTest, UnterminatedStringsDoNotHang) {
  EXPECT_THAT(ReviewPython("x = '''never closed\nos.system('x')"), IsEmpty());
  EXPECT_EQ(Count(ReviewPython("x = 'open\nimport os\nos.system('a')\n"), kRulePyProcess), 1u);
  (void)ReviewPython("\\");
  (void)ReviewPython("'\\");
  (void)ReviewPython("r'");
}

TEST(PythonAnalyzeTest, ReportsCodeOnLoadWithImports) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzePython(AsBytes(Fixture("remote_code/configuration_evil.py")), ctx));
  ASSERT_EQ(ctx.findings.size(), 1u);
  EXPECT_EQ(ctx.findings[0].rule_id, kRulePyCodeOnLoad);
  EXPECT_EQ(ctx.findings[0].severity, Severity::kInfo);
  EXPECT_THAT(ctx.findings[0].evidence, HasSubstr("transformers"));
}

TEST(PythonAnalyzeTest, TextLimit) {
  Limits limits;
  limits.max_text_bytes = 24;
  RecordingContext ctx(limits);
  EXPECT_THAT(AnalyzePython(AsBytes("import os\nos.system('x')\n"), ctx),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_text_bytes")));
  limits.max_text_bytes = 25;
  RecordingContext ok(limits);
  EXPECT_OK(AnalyzePython(AsBytes("import os\nos.system('x')\n"), ok));
}

TEST(PythonAnalyzeTest, Sniff) {
  auto sniff = PythonHandler().sniff;
  EXPECT_EQ(sniff(AsBytes("x = 1\n"), "dir/modeling_x.py"), SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes("#!/usr/bin/env python3\nimport os\n"), "run"),
            SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes("#!/bin/sh\necho hi\n"), "run"), SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes("import os\n"), "notes.txt"), SniffResult::kNo);
  std::string nul("x\0y", 3);
  EXPECT_EQ(sniff(AsBytes(nul), "a.py"), SniffResult::kNo);
  EXPECT_EQ(PythonHandler().id, "python");
}

}  // namespace
}  // namespace mats::repo
