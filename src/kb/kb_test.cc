#include "kb/kb.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ting::kb {

std::string_view defaultKbJson();

namespace {

TEST(Kb, RenderFillsKnownVariablesAndListsTheRest) {
  std::vector<std::string> missing;
  const std::string out =
      render("{{customer_name}}，我的工号是{{agent_staff_no}}；工单{{reference}} {{ not a var }}",
             {{"customer_name", "赵先生"}, {"agent_staff_no", "1001"}}, &missing);
  EXPECT_EQ(out, "赵先生，我的工号是1001；工单{{reference}} {{ not a var }}");
  EXPECT_EQ(missing, std::vector<std::string>{"reference"});
  EXPECT_EQ(render("no variables", {}), "no variables");
  EXPECT_EQ(render("unclosed {{name", {{"name", "x"}}), "unclosed {{name");
  EXPECT_EQ(render("{{a}}{{b}}", {{"a", "1"}, {"b", "2"}}), "12");
}

TEST(Kb, DefaultSetCoversEverySituationInBothLanguages) {
  const auto doc = boost::json::parse(defaultKbJson()).as_object();
  const auto& scripts = doc.at("scripts").as_array();
  EXPECT_EQ(scripts.size(), 18u) << "the situations agents meet (docs/kb.md)";
  for (const auto& s : scripts) {
    for (const char* lang : {"zh", "en"}) {
      const auto& t = s.at(lang).as_object();
      EXPECT_FALSE(t.at("title").as_string().empty()) << s.at("situation");
      EXPECT_FALSE(t.at("body").as_string().empty()) << s.at("situation");
    }
  }
  EXPECT_GE(doc.at("articles").as_array().size(), 3u);
}

}  // namespace
}  // namespace ting::kb
