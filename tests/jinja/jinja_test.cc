#include "mats/jinja/jinja.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "testing/json_mutations.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::jinja {
namespace {

namespace fs = std::filesystem;
using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;

const std::string kFixtures =
    std::string(MATS_SOURCE_DIR) + "/tests/fixtures/jinja";

std::vector<Finding> Analyze(std::string_view text, Limits limits = {}) {
  return AnalyzeTemplate(text, limits);
}

bool Has(const std::vector<Finding>& fs, std::string_view rule,
         Severity min = Severity::kInfo) {
  for (const Finding& f : fs) {
    if (f.rule_id == rule && f.severity >= min) return true;
  }
  return false;
}

Severity MaxSeverity(const std::vector<Finding>& fs) {
  Severity s = Severity::kInfo;
  for (const Finding& f : fs) s = std::max(s, f.severity);
  return s;
}

std::string Describe(const std::vector<Finding>& fs) {
  std::string out;
  for (const Finding& f : fs) {
    out += f.rule_id + " " + std::string(SeverityName(f.severity)) + " @" +
           std::to_string(f.offset) + ": " + f.message + "\n";
  }
  return out;
}

std::string ReadText(const fs::path& p) {
  auto r = ReadFileToString(p.string(), 1 << 20);
  EXPECT_TRUE(r.ok()) << p;
  return r.ok() ? *r : std::string();
}

// ---- fixtures
// ----------------------------------------------------------------

TEST(JinjaFixturesTest, BenignTemplatesAreClean) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kFixtures + "/benign")) {
    if (e.path().extension() != ".jinja") continue;
    std::string text = ReadText(e.path());
    auto fs = Analyze(text);
    EXPECT_TRUE(fs.empty()) << e.path() << "\n" << Describe(fs);
    ++n;
  }
  EXPECT_GE(n, 10u);
}

TEST(JinjaFixturesTest, EveryMaliciousTemplateIsDetected) {
  const std::map<std::string, std::string> expected = {
      {"cve_2024_34359_subclasses.jinja", "MATS-JINJA-001"},
      {"lipsum_globals.jinja", "MATS-JINJA-001"},
      {"cycler_init_globals.jinja", "MATS-JINJA-001"},
      {"joiner_globals.jinja", "MATS-JINJA-001"},
      {"namespace_globals.jinja", "MATS-JINJA-001"},
      {"attr_filter_dunder.jinja", "MATS-JINJA-001"},
      {"attr_filter_computed.jinja", "MATS-JINJA-002"},
      {"hex_escapes.jinja", "MATS-JINJA-002"},
      {"unicode_escapes.jinja", "MATS-JINJA-002"},
      {"octal_escapes.jinja", "MATS-JINJA-002"},
      {"concat_tilde.jinja", "MATS-JINJA-002"},
      {"join_filter.jinja", "MATS-JINJA-002"},
      {"dict_join.jinja", "MATS-JINJA-002"},
      {"format_filter.jinja", "MATS-JINJA-002"},
      {"replace_filter.jinja", "MATS-JINJA-002"},
      {"string_char_pick.jinja", "MATS-JINJA-002"},
      {"range_globals.jinja", "MATS-JINJA-001"},
      {"map_attribute.jinja", "MATS-JINJA-001"},
      {"include_file.jinja", "MATS-JINJA-008"},
      {"broken_tail_payload.jinja", "MATS-JINJA-001"},
      {"unterminated_string_payload.jinja", "MATS-JINJA-002"},
      {"getattr_name.jinja", "MATS-JINJA-005"},
      {"format_method.jinja", "MATS-JINJA-002"},
      {"private_attr.jinja", "MATS-JINJA-001"},
  };
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kFixtures + "/malicious")) {
    if (e.path().extension() != ".jinja") continue;
    std::string name = e.path().filename().string();
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "add an expectation for " << name;
    auto fs = Analyze(ReadText(e.path()));
    EXPECT_TRUE(Has(fs, it->second)) << name << "\n" << Describe(fs);
    EXPECT_GE(MaxSeverity(fs), Severity::kMedium) << name;
    if (name != "include_file.jinja") {
      EXPECT_GE(MaxSeverity(fs), Severity::kHigh) << name << "\n"
                                                  << Describe(fs);
    }
    ++n;
  }
  EXPECT_EQ(n, expected.size());
}

// Golden findings: tests/fixtures/jinja/malicious/<case>.jinja.expected.json;
// MATS_UPDATE_GOLDEN=1 rewrites them for review.
TEST(JinjaFixturesTest, GoldenFindings) {
  const char* update = std::getenv("MATS_UPDATE_GOLDEN");
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kFixtures + "/malicious")) {
    if (e.path().extension() != ".jinja") continue;
    nlohmann::json doc = nlohmann::json::array();
    for (const Finding& f : Analyze(ReadText(e.path()))) {
      doc.push_back({{"rule", f.rule_id},
                     {"severity", std::string(SeverityName(f.severity))},
                     {"offset", f.offset},
                     {"message", f.message}});
    }
    std::string actual = DumpJson(doc, 2) + "\n";
    std::string path = e.path().string() + ".expected.json";
    if (update != nullptr && std::string(update) == "1") {
      ASSERT_TRUE(WriteFileAtomic(path, actual).ok());
    }
    EXPECT_EQ(ReadText(path), actual) << path;
    ++n;
  }
  EXPECT_GT(n, 20u);
}

// ---- rules: positive and negative
// --------------------------------------------

TEST(JinjaRulesTest, DunderAccess) {
  EXPECT_TRUE(Has(Analyze("{{ x.__class__ }}"), kRuleDunderAccess,
                  Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x['__globals__'] }}"), kRuleDunderAccess));
  EXPECT_TRUE(Has(Analyze("{{ x|attr('__mro__') }}"), kRuleDunderAccess));
  EXPECT_TRUE(
      Has(Analyze("{{ x._private }}"), kRuleDunderAccess, Severity::kHigh));
  auto chain = Analyze("{{ ''.__class__.__mro__[1].__subclasses__() }}");
  EXPECT_EQ(chain.size(), 1u) << Describe(chain);  // first internal name only
  EXPECT_TRUE(Analyze("{{ message.content }}{{ message['role'] }}").empty());
}

TEST(JinjaRulesTest, ObfuscatedNames) {
  EXPECT_TRUE(Has(Analyze("{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x['\\N{LOW LINE}\\N{LOW LINE}class__'] }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x['__cl' + 'ass__'] }}"), kRuleObfuscatedName,
                  Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x[('_' * 2) ~ 'class' ~ ('_' * 2)] }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x|attr(['_','_','init','_','_']|join) }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x|attr('%s%sclass%s%s' % ('_','_','_','_')) }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(
      Has(Analyze("{{ x|attr(y) }}"), kRuleObfuscatedName, Severity::kHigh));
  EXPECT_TRUE(
      Has(Analyze("{{ x[y ~ 'z'] }}"), kRuleObfuscatedName, Severity::kMedium));
  EXPECT_TRUE(Has(Analyze("{% set s = '__glo' %}{{ x[s ~ 'bals__'] }}"),
                  kRuleObfuscatedName, Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ '\\x6fs' }}"), kRuleObfuscatedName));
  EXPECT_TRUE(
      Has(Analyze("{% set p = '__subclasses__' %}"), kRuleObfuscatedName));
  // Negatives: escapes for non-identifier characters, concatenation outside
  // subscripts, numeric subscripts and arithmetic keys.
  EXPECT_TRUE(
      Analyze("{{ '\\n\\t\\x3c\\u2581' ~ message['content'] }}").empty());
  EXPECT_TRUE(
      Analyze("{{ messages[loop.index0 + 1]['role'] }}{{ x[0] }}").empty());
  EXPECT_TRUE(
      Analyze("{{ bos_token + message['content'] + eos_token }}").empty());
}

TEST(JinjaRulesTest, AttrFilter) {
  auto fs = Analyze("{{ x|attr('name') }}");
  EXPECT_TRUE(Has(fs, kRuleAttrFilter, Severity::kLow));
  EXPECT_EQ(MaxSeverity(fs), Severity::kLow);
  EXPECT_FALSE(Has(Analyze("{{ x.name }}{{ x|map(attribute='name')|join }}"),
                   kRuleAttrFilter));
}

TEST(JinjaRulesTest, HelperGlobals) {
  EXPECT_TRUE(
      Has(Analyze("{{ lipsum }}"), kRuleHelperGlobals, Severity::kMedium));
  EXPECT_TRUE(Has(Analyze("{{ cycler('a','b').next() }}"), kRuleHelperGlobals));
  EXPECT_TRUE(Has(Analyze("{{ namespace.foo }}"), kRuleHelperGlobals));
  EXPECT_TRUE(Has(Analyze("{{ namespace.__init__.__globals__ }}"),
                  kRuleDunderAccess, Severity::kCritical));
  // Calling namespace(), range(), dict() and reading namespace state is fine.
  EXPECT_TRUE(
      Analyze("{% set ns = namespace(a=1, b=[]) %}{% set ns.a = ns.a + 1 %}"
              "{{ ns.a }}{{ range(3)|list }}{{ dict(a=1) }}")
          .empty());
}

TEST(JinjaRulesTest, DangerousNames) {
  EXPECT_TRUE(Has(Analyze("{{ os.popen('id') }}"), kRuleDangerousName,
                  Severity::kHigh));
  EXPECT_TRUE(Has(Analyze("{{ x.__globals__['os'] }}"), kRuleDangerousName,
                  Severity::kCritical));
  EXPECT_TRUE(Has(Analyze("{{ x.popen('id') }}"), kRuleDangerousName));
  EXPECT_TRUE(Has(Analyze("{{ eval('1') }}"), kRuleDangerousName));
  EXPECT_TRUE(Has(Analyze("{{ x.system('id') }}"), kRuleDangerousName,
                  Severity::kHigh));
  EXPECT_TRUE(Has(Analyze("{{ x.__init__.__globals__.sys }}"),
                  kRuleDangerousName, Severity::kCritical));
  // 'system' as a role string, dict key or namespace field is normal.
  EXPECT_TRUE(
      Analyze("{% set ns = namespace(system='') %}{% set ns.system = 'a' %}"
              "{{ ns.system }}{{ x.open }}")
          .empty());
  EXPECT_TRUE(
      Analyze("{% if message['role'] == 'system' %}{{ roles['system'] }}"
              "{% endif %}")
          .empty());
}

TEST(JinjaRulesTest, Unparseable) {
  EXPECT_TRUE(Has(Analyze("{% if x %}"), kRuleUnparseable));    // unclosed
  EXPECT_TRUE(Has(Analyze("{% endfor %}"), kRuleUnparseable));  // stray end
  EXPECT_TRUE(
      Has(Analyze("{% frobnicate %}"), kRuleUnparseable));    // unknown tag
  EXPECT_TRUE(Has(Analyze("{{ 'abc }}"), kRuleUnparseable));  // string
  EXPECT_TRUE(Has(Analyze("{# never closed"), kRuleUnparseable));   // comment
  EXPECT_TRUE(Has(Analyze("{{ a ) }}"), kRuleUnparseable));         // balance
  EXPECT_TRUE(Has(Analyze("{{ a $ b }}"), kRuleUnparseable));       // char
  EXPECT_TRUE(Has(Analyze("{% raw %} no end"), kRuleUnparseable));  // raw
  EXPECT_TRUE(Has(Analyze("{{ x "), kRuleUnparseable));             // tag end
  EXPECT_TRUE(Has(Analyze("{% for in x %}{% endfor %}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{% break %}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{% elif x %}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{% else %}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{{ x.( }}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{% import 'a' %}"), kRuleUnparseable));
  EXPECT_TRUE(Has(Analyze("{% from 'a' %}"), kRuleUnparseable));
  auto fs = Analyze(
      "{% for x in y %}{{ x }}{% endfor %}{% if a is not defined %}"
      "{{ a|default('b') }}{% elif b is divisibleby 3 %}{% else %}{% endif %}"
      "{% with a = 1 %}{{ a }}{% endwith %}{% filter upper %}t{% endfilter %}"
      "{% set b %}x{% endset %}{% call f(1) %}{% endcall %}"
      "{% generation %}g{% endgeneration %}{% do x.append(1) %}"
      "{% for i in range(3) %}{% if i %}{% break %}{% endif %}{% continue %}"
      "{% endfor %}{{ {'a': {'b': 1}} }}{{ [1, 2][0:1:1] }}{{ x if y else z }}"
      "{{ -1 ** 2 // 3 }}{{ a not in b and not c or d }}{{ (1, 2) }}{{ () }}"
      "{% block b scoped %}{% endblock b %}{% autoescape true %}{% "
      "endautoescape %}");
  EXPECT_TRUE(fs.empty()) << Describe(fs);
}

TEST(JinjaRulesTest, ParseErrorDoesNotHideLaterTags) {
  auto fs = Analyze("{% if %}{{ x.__class__ }}");
  EXPECT_TRUE(Has(fs, kRuleUnparseable));
  EXPECT_TRUE(Has(fs, kRuleDunderAccess));
}

TEST(JinjaRulesTest, LimitsBecomeFindings) {
  Limits small;
  small.max_text_bytes = 10;
  EXPECT_TRUE(Has(Analyze("{{ x }} padding padding", small), kRuleLimit));
  EXPECT_TRUE(
      Analyze("{{ x }}", small).empty());  // 7 bytes: at the limit is fine

  Limits shallow;
  shallow.max_depth = 3;
  EXPECT_TRUE(Has(
      Analyze("{% if a %}{% if b %}{% if c %}{% if d %}{% endif %}{% endif %}"
              "{% endif %}{% endif %}",
              shallow),
      kRuleLimit));
  EXPECT_FALSE(Has(
      Analyze("{% if a %}{% if b %}{% if c %}{% endif %}{% endif %}{% endif %}",
              shallow),
      kRuleLimit));
  Limits few_tokens;
  few_tokens.max_entries = 10;  // 20 tokens
  EXPECT_TRUE(Has(
      Analyze(
          "{{ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a }}{{ x.__class__ }}",
          few_tokens),
      kRuleLimit));
  EXPECT_TRUE(Has(
      Analyze(
          "{{ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a }}{{ x.__class__ }}",
          few_tokens),
      kRuleDunderAccess));  // the rest is still searched for markers
  EXPECT_FALSE(Has(Analyze("{{ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a }}", few_tokens),
                   kRuleLimit));
  // A long chain of folded concatenations stays within the fold budget.
  std::string chain = "{{ '" + std::string(4000, 'a') + "'";
  for (int i = 0; i < 20000; ++i) chain += " ~ 'b'";
  EXPECT_TRUE(Analyze(chain + " }}").empty());
  std::string deep(5000, '(');
  deep = "{{ " + deep + "1" + std::string(5000, ')') + " }}";
  EXPECT_TRUE(Has(Analyze(deep), kRuleLimit));
  std::string notnot = "{{ ";
  for (int i = 0; i < 1000; ++i) notnot += "not ";
  EXPECT_TRUE(Has(Analyze(notnot + "x }}"), kRuleLimit));
}

TEST(JinjaRulesTest, UnicodeWhitespaceSeparatesTokens) {
  // Jinja's lexer skips Unicode whitespace (Python \s) between tokens.
  EXPECT_TRUE(Has(Analyze("{{\u00a0os\u3000.popen('x') }}"), kRuleDangerousName));
  EXPECT_TRUE(Has(Analyze("{{ os\u00a0}}"), kRuleDangerousName));
  EXPECT_TRUE(Has(Analyze("{%\u2003include 'x' %}"), kRuleLoadsTemplates));
  EXPECT_TRUE(Analyze("{{\u00a0message['content']\u2028}}{{ '\u00a0' }}").empty());
}

TEST(JinjaRulesTest, LoadsTemplates) {
  EXPECT_TRUE(Has(Analyze("{% include 'x.j2' ignore missing with context %}"),
                  kRuleLoadsTemplates));
  EXPECT_TRUE(Has(Analyze("{% import 'm.j2' as m %}"), kRuleLoadsTemplates));
  EXPECT_TRUE(
      Has(Analyze("{% from 'm.j2' import a as b, c %}"), kRuleLoadsTemplates));
  EXPECT_TRUE(Has(Analyze("{% extends 'base.j2' %}"), kRuleLoadsTemplates));
  EXPECT_FALSE(Has(Analyze("{{ include }}"), kRuleLoadsTemplates));
}

TEST(JinjaRulesTest, RulesTableIsComplete) {
  std::set<std::string_view> ids;
  for (const RuleInfo& r : JinjaRules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_FALSE(r.description.empty());
    EXPECT_FALSE(r.atlas.empty());
  }
  EXPECT_EQ(ids.size(), 10u);
}

// ---- handlers
// ------------------------------------------------------------------

TEST(JinjaHandlerTest, SniffsByNameAndContent) {
  const auto& h = JinjaHandler();
  EXPECT_EQ(h.sniff(AsBytes("{{ x }}"), "chat_template.jinja"),
            SniffResult::kStrong);
  EXPECT_EQ(h.sniff(AsBytes("{% if %}"), "dir/t.J2"), SniffResult::kStrong);
  EXPECT_EQ(h.sniff(AsBytes("{{ x }}"), "readme.txt"), SniffResult::kNo);
  EXPECT_EQ(h.sniff(AsBytes("plain text"), "t.jinja"), SniffResult::kNo);
}

TEST(JinjaHandlerTest, ReportsWithOffsets) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeJinja(AsBytes("hello {{ x.__class__ }}"), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleDunderAccess));
  EXPECT_EQ(ctx.FindRule(kRuleDunderAccess)->offset, 11u);
  RecordingContext ctx2;
  ReportTemplate("{{ x.__class__ }}", "tokenizer.chat_template", 100, ctx2);
  ASSERT_EQ(ctx2.findings.size(), 1u);
  EXPECT_EQ(ctx2.findings[0].member, "tokenizer.chat_template");
  EXPECT_EQ(ctx2.findings[0].offset, 105u);
}

TEST(TokenizerConfigTest, Sniff) {
  const auto& h = TokenizerConfigHandler();
  EXPECT_EQ(h.sniff(AsBytes("{}"), "a/tokenizer_config.json"),
            SniffResult::kStrong);
  EXPECT_EQ(h.sniff(AsBytes("{\"chat_template\": \"x\"}"), "other.json"),
            SniffResult::kStrong);
  EXPECT_EQ(h.sniff(AsBytes("{\"a\": {\"chat_template\": 1}}"), "other.json"),
            SniffResult::kNo);
  EXPECT_EQ(h.sniff(AsBytes("[1]"), "tokenizer_config.json"), SniffResult::kNo);
  EXPECT_EQ(h.sniff(AsBytes("{\"x\": 1}"), "config.json"), SniffResult::kNo);
}

TEST(TokenizerConfigTest, Fixtures) {
  for (const auto& e :
       fs::directory_iterator(kFixtures + "/tokenizer_config/benign")) {
    RecordingContext ctx;
    std::string text = ReadText(e.path());
    ASSERT_OK(AnalyzeTokenizerConfig(AsBytes(text), ctx));
    EXPECT_TRUE(ctx.findings.empty()) << e.path() << "\n"
                                      << Describe(ctx.findings);
  }
  const std::map<std::string, std::string> expected = {
      {"tokenizer_config.json", "MATS-JINJA-001"},
      {"named_templates.json", "MATS-JINJA-002"},
      {"auto_map.json", "MATS-TOK-001"},
      {"duplicate_key.json", "MATS-JINJA-001"},
  };
  for (const auto& e :
       fs::directory_iterator(kFixtures + "/tokenizer_config/malicious")) {
    RecordingContext ctx;
    std::string name = e.path().filename().string();
    ASSERT_TRUE(expected.count(name)) << name;
    ASSERT_OK(AnalyzeTokenizerConfig(AsBytes(ReadText(e.path())), ctx));
    EXPECT_TRUE(ctx.HasRule(expected.at(name))) << name << "\n"
                                                << Describe(ctx.findings);
  }
}

TEST(TokenizerConfigTest, NamedTemplatesAttributed) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeTokenizerConfig(
      AsBytes(
          R"({"chat_template": [{"name": "rag", "template": "{{ x.__class__ }}"}]})"),
      ctx));
  ASSERT_EQ(ctx.findings.size(), 1u);
  EXPECT_EQ(ctx.findings[0].member, "chat_template.rag");
}

TEST(TokenizerConfigTest, TemplateShapeAndDuplicates) {
  RecordingContext a;
  ASSERT_OK(AnalyzeTokenizerConfig(AsBytes(R"({"chat_template": 5})"), a));
  EXPECT_TRUE(a.HasRule(kRuleTokTemplateType));
  RecordingContext b;
  ASSERT_OK(AnalyzeTokenizerConfig(
      AsBytes(R"({"chat_template": [1, {"template": "x"}]})"), b));
  EXPECT_EQ(b.CountRule(kRuleTokTemplateType), 2u);
  RecordingContext c;
  ASSERT_OK(AnalyzeTokenizerConfig(AsBytes(R"({"a": 1, "a": 2})"), c));
  EXPECT_TRUE(c.HasRule(kRuleTokTemplateType));
  RecordingContext d;
  ASSERT_OK(
      AnalyzeTokenizerConfig(AsBytes(R"({"chat_template": null, "a": 1})"), d));
  EXPECT_TRUE(d.findings.empty());
  EXPECT_FALSE(d.HasRule(kRuleTokAutoMap));
}

TEST(TokenizerConfigTest, Errors) {
  RecordingContext ctx;
  EXPECT_THAT(AnalyzeTokenizerConfig(AsBytes("{"), ctx),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(AnalyzeTokenizerConfig(AsBytes("[]"), ctx),
              StatusIs(ErrorCode::kMalformed));
  Limits small;
  small.max_json_bytes = 4;
  RecordingContext limited(small);
  EXPECT_THAT(AnalyzeTokenizerConfig(AsBytes("{\"a\": 1}"), limited),
              StatusIs(ErrorCode::kLimitExceeded));
  Limits few;
  few.max_entries = 1;
  RecordingContext lc(few);
  EXPECT_THAT(AnalyzeTokenizerConfig(
                  AsBytes(R"({"chat_template": [{"name":"a","template":"x"},)"
                          R"({"name":"b","template":"y"}]})"),
                  lc),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(JinjaRobustnessTest, TruncationsNeverCrash) {
  std::string text = ReadText(kFixtures + "/benign/llama31_tools.jinja");
  for (size_t i = 0; i < text.size(); i += 7) {
    (void)Analyze(std::string_view(text).substr(0, i));
  }
  std::string bad =
      ReadText(kFixtures + "/malicious/cve_2024_34359_subclasses.jinja");
  for (size_t i = 0; i < bad.size(); ++i)
    (void)Analyze(std::string_view(bad).substr(0, i));
}


// Every member of a tokenizer config replaced by a value of each JSON type,
// or removed: findings or an error Status, never a throw.
TEST(TokenizerConfigTest, TypeConfusionNeverThrows) {
  auto doc = ParseJson(R"({"auto_map":{"AutoTokenizer":["tok.T",null]},"model_max_length":8,)"
                       R"("chat_template":[{"name":"default","template":"{{ messages[0].content }}"},)"
                       R"({"name":"tool_use","template":"{{ x.__class__ }}"}]})");
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    std::string text = DumpJson(j);
    RecordingContext ctx;
    EXPECT_NO_THROW((void)AnalyzeTokenizerConfig(AsBytes(text), ctx).ok()) << where;
  });
  EXPECT_GT(n, 150u);
}

}  // namespace
}  // namespace mats::jinja
