#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pickle/test_util.h"

namespace mats::pickle {
namespace {

TEST(PicklePolicyTest, EntriesAreWellFormed) {
  std::set<std::pair<std::string, int>> seen;
  for (const PolicyEntry& e : PicklePolicyEntries()) {
    EXPECT_EQ(e.domain, "pickle");
    EXPECT_FALSE(e.name.empty());
    EXPECT_FALSE(e.reason.empty()) << e.name;
    EXPECT_FALSE(e.category.empty()) << e.name;
    EXPECT_EQ(e.source, "builtin");
    EXPECT_TRUE(seen.insert({e.name, static_cast<int>(e.action)}).second)
        << "duplicate entry " << e.name;
    if (e.action == PolicyAction::kDeny) {
      EXPECT_GE(e.severity, Severity::kMedium) << e.name;
    }
  }
  EXPECT_GT(seen.size(), 300u);
}

struct Expect {
  const char* name;
  PolicyDecision::Kind kind;
  Severity min_severity;
};

TEST(PicklePolicyTest, EveryGadgetClassIsDenied) {
  Policy p = testing::DefaultPicklePolicy();
  const char* denied[] = {
      "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__",
      "builtins.getattr", "builtins.setattr", "os.system", "posix.system",
      "nt.system", "subprocess.Popen", "pty.spawn", "importlib.import_module",
      "pkgutil.resolve_name", "pydoc.locate", "code.InteractiveInterpreter",
      "cProfile.runctx", "profile.run", "trace.Trace", "timeit.timeit",
      "doctest.debug_script", "idlelib.pyshell.main", "pdb.run", "bdb.Bdb",
      "operator.attrgetter", "operator.methodcaller", "operator.itemgetter",
      "functools.partial", "functools.reduce", "io.open", "_io.FileIO",
      "builtins.open", "shutil.rmtree", "tempfile.mkstemp",
      "logging.FileHandler", "socket.socket", "urllib.request.urlopen",
      "http.client.HTTPConnection", "ssl.get_server_certificate",
      "requests.get", "ftplib.FTP", "smtplib.SMTP", "pip.main",
      "ensurepip._run_pip", "setuptools.setup", "torch.hub.load", "torch.load",
      "torch.serialization.load", "torch.jit.load",
      "torch.utils.collect_env.run", "torch._inductor.codecache.compile_file",
      "numpy.load", "numpy.f2py.crackfortran.myeval", "pickle.loads",
      "_pickle.loads", "dill.loads", "cloudpickle.loads", "joblib.load",
      "marshal.loads", "types.CodeType", "types.FunctionType", "ctypes.CDLL",
      "cffi.FFI", "uuid._get_command_stdout", "imaplib.IMAP4_stream",
      "_osx_support._read_output",
      "asyncio.unix_events._UnixSubprocessTransport._start", "webbrowser.open",
      "sys.exit", "builtins.breakpoint", "multiprocessing.Process"};
  for (const char* name : denied) {
    PolicyDecision d = p.Lookup("pickle", name);
    EXPECT_EQ(d.kind, PolicyDecision::Kind::kDenied) << name;
    if (d.entry != nullptr) {
      EXPECT_GE(d.entry->severity, Severity::kHigh) << name;
    }
  }
}

TEST(PicklePolicyTest, LegitimateCheckpointGlobalsAreAllowed) {
  Policy p = testing::DefaultPicklePolicy();
  const char* allowed[] = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_parameter", "torch.FloatStorage", "torch.Size",
      "torch.device", "torch.float16", "torch.bfloat16", "_codecs.encode",
      "numpy.core.multiarray._reconstruct", "numpy.ndarray", "numpy.dtype",
      "numpy.core.multiarray.scalar", "numpy.random._pickle.__randomstate_ctor",
      "numpy.random._pcg64.PCG64", "joblib.numpy_pickle.NumpyArrayWrapper",
      "sklearn.linear_model._logistic.LogisticRegression",
      "sklearn.tree._tree.Tree", "builtins.set", "builtins.frozenset",
      "builtins.complex", "builtins.slice", "builtins.bytearray",
      "datetime.datetime", "decimal.Decimal", "copyreg._reconstructor",
      "torch.nn.modules.linear.Linear"};
  for (const char* name : allowed) {
    EXPECT_EQ(p.Lookup("pickle", name).kind, PolicyDecision::Kind::kAllowed) << name;
  }
  // Exact entries do not cover attributes below them.
  EXPECT_NE(p.Lookup("pickle", "collections.OrderedDict.fromkeys").kind,
            PolicyDecision::Kind::kAllowed);
  EXPECT_EQ(p.Lookup("pickle", "mylib.Model").kind, PolicyDecision::Kind::kUnknown);
}

TEST(PicklePolicyTest, UserPolicyAdjustsTheDefaults) {
  Policy p = testing::DefaultPicklePolicy();
  ASSERT_TRUE(p.AddFromFlag("pickle:mylib.Model", PolicyAction::kAllow).ok());
  ASSERT_TRUE(p.AddFromFlag("pickle:torch.nn.modules.linear=medium",
                            PolicyAction::kDeny).ok());
  EXPECT_EQ(p.Lookup("pickle", "mylib.Model").kind, PolicyDecision::Kind::kAllowed);
  PolicyDecision d = p.Lookup("pickle", "torch.nn.modules.linear.Linear");
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kDenied);
  EXPECT_EQ(d.entry->severity, Severity::kMedium);
  // And the machine follows it.
  testing::PickleContext ctx;
  ctx.mutable_policy() = p;
  Bytes b = testing::ToBytes("\x80\x02" "cmylib\nModel\n)R.");
  ASSERT_TRUE(AnalyzePickle(b, ctx).ok());
  EXPECT_FALSE(ctx.HasRule(kRuleUnknownCallable));
}

TEST(PickleRulesTest, RulesAreDescribed) {
  std::set<std::string_view> ids;
  for (const RuleInfo& r : PickleRules()) {
    EXPECT_TRUE(r.id.starts_with("MATS-PKL-"));
    EXPECT_FALSE(r.title.empty());
    EXPECT_FALSE(r.description.empty());
    EXPECT_FALSE(r.remediation.empty());
    EXPECT_FALSE(r.atlas.empty());
    EXPECT_NE(r.goals, 0);
    EXPECT_TRUE(ids.insert(r.id).second);
  }
  for (std::string_view id : {kRuleDeniedCallable, kRuleUnknownCallable,
                              kRuleRuntimeCallable, kRuleMalformed, kRuleEmbedded,
                              kRuleDottedName, kRuleExtension, kRuleImports}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

}  // namespace
}  // namespace mats::pickle
