#include "search/search_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp
#include <xapian.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "search/tokenize.h"

namespace ting::search {
namespace {

constexpr std::int64_t kTenant = 1;

Query queryOf(std::int64_t tenant, std::string text) {
  Query q;
  q.tenant_id = tenant;
  q.text = std::move(text);
  return q;
}

Document docOf(std::string kind, std::int64_t tenant, std::int64_t id, std::string title,
               std::string body, std::string category = "") {
  Document d;
  d.kind = std::move(kind);
  d.tenant_id = tenant;
  d.id = id;
  d.title = std::move(title);
  d.body = std::move(body);
  d.category = std::move(category);
  return d;
}

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto index = Index::open("");
    ASSERT_TRUE(index.isOk()) << index.status().message();
    index_ = std::move(index).value();
  }

  void put(std::int64_t id, std::string title, std::string body, std::string kind = "article",
           std::int64_t tenant = kTenant, std::string category = "", UnixMillis updated_at = 0) {
    Document d =
        docOf(std::move(kind), tenant, id, std::move(title), std::move(body), std::move(category));
    d.updated_at = updated_at;
    ASSERT_TRUE(index_->put(d).isOk());
  }

  void commit() { ASSERT_TRUE(index_->commit().isOk()); }

  std::vector<Hit> search(Query q) {
    auto hits = index_->search(q);
    EXPECT_TRUE(hits.isOk()) << hits.status().message();
    return hits.isOk() ? std::move(hits).value() : std::vector<Hit>{};
  }

  std::vector<Hit> search(const std::string& text, std::int64_t tenant = kTenant) {
    return search(queryOf(tenant, text));
  }

  static std::vector<std::int64_t> ids(const std::vector<Hit>& hits) {
    std::vector<std::int64_t> out;
    for (const Hit& h : hits) out.push_back(h.id);
    return out;
  }

  std::vector<std::int64_t> idsFor(const std::string& text, std::int64_t tenant = kTenant) {
    return ids(search(text, tenant));
  }

  // The ids found in id order, where their ranking is not the point.
  std::vector<std::int64_t> sortedIdsFor(const std::string& text) {
    std::vector<std::int64_t> out = idsFor(text);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<Index> index_;
};

using Ids = std::vector<std::int64_t>;

TEST_F(SearchIndexTest, ChineseQueryFindsChineseText) {
  put(1, "网络问题", "客户反映宽带故障已经三天");
  put(2, "账单", "客户对话费有疑问");
  commit();
  EXPECT_EQ(idsFor("宽带故障"), Ids{1});
  EXPECT_EQ(idsFor("话费"), Ids{2});
  EXPECT_EQ(idsFor("三天宽带"), Ids{1});  // the words in another order
  // No document has every bigram of 宽带套餐: any of them, best first.
  EXPECT_EQ(idsFor("宽带套餐"), Ids{1});
  EXPECT_TRUE(idsFor("套餐").empty());
}

TEST_F(SearchIndexTest, PartOfAChineseWordFindsIt) {
  put(1, "", "客户反映宽带故障已经三天");
  put(2, "", "带宽不足");
  commit();
  EXPECT_EQ(idsFor("故障"), Ids{1});
  EXPECT_EQ(idsFor("带故"), Ids{1});
  EXPECT_EQ(idsFor("障"), Ids{1});  // a single character
  const auto hits = idsFor("带");
  EXPECT_EQ(hits.size(), 2u);
}

TEST_F(SearchIndexTest, EnglishWordsMatchTheirStemAndExactWordsRankFirst) {
  put(1, "", "The customer asked for a refund yesterday");
  put(2, "", "Refunding takes five days for customers");
  put(3, "", "Shipping was late");
  commit();
  const auto refunds = idsFor("refunds");
  ASSERT_EQ(refunds.size(), 2u);
  EXPECT_EQ(idsFor("REFUNDING").front(), 2);  // as typed beats the same stem
  EXPECT_EQ(idsFor("refund").front(), 1);
  EXPECT_EQ(idsFor("shipped late"), Ids{3});
}

TEST_F(SearchIndexTest, MixedChineseAndEnglish) {
  put(1, "路由器", "宽带 router 无法连接");
  put(2, "", "宽带故障");
  put(3, "", "router reboot guide");
  commit();
  EXPECT_EQ(idsFor("宽带 router"), Ids{1});  // all words when some document has them all
  EXPECT_EQ(idsFor("Router路由器"), Ids{1});
  // Else any of them, best first.
  const auto any = idsFor("宽带 nonexistentword");
  EXPECT_EQ(any.size(), 2u);
}

TEST_F(SearchIndexTest, WordsNoDocumentHasAreLeftOut) {
  put(1, "宽带故障", "refund requested");
  put(2, "宽带故障", "");
  put(3, "", "refund requested");
  commit();
  // The unknown number does not turn the query into "any word".
  EXPECT_EQ(idsFor("宽带故障 refund 19999999999"), Ids{1});
  EXPECT_EQ(sortedIdsFor("C20990101-0001 宽带故障"), (Ids{1, 2}));
  EXPECT_TRUE(idsFor("19999999999 C20990101-0001").empty());
}

TEST_F(SearchIndexTest, WithoutADocumentOfEveryWordAnyWholeWordMatches) {
  put(1, "", "宽带故障");
  put(2, "", "退款");
  put(3, "", "宽带");
  put(4, "", "故障");
  commit();
  // Documents with all of 宽带故障 or 退款, not those with a part of 宽带故障.
  EXPECT_EQ(sortedIdsFor("宽带故障 退款"), (Ids{1, 2}));
  // Any part of a run when no document has its parts together: once
  // document 1 changes, 宽带 and 故障 never meet.
  put(1, "", "宽带很慢");
  commit();
  EXPECT_EQ(sortedIdsFor("宽带故障"), (Ids{1, 3, 4}));
}

TEST_F(SearchIndexTest, TitleMatchBeatsBodyOnlyMatch) {
  put(1, "Account help", "If you forgot your password reset it from the login page now");
  put(2, "Password reset", "If you forgot it change it from the login page of the account");
  put(3, "账户帮助", "忘记了可以在登录页面重置密码，请联系客服处理");
  put(4, "重置密码", "忘记了可以在登录页面操作，请联系客服处理");
  commit();
  EXPECT_EQ(idsFor("password reset"), (Ids{2, 1}));
  EXPECT_EQ(idsFor("重置密码"), (Ids{4, 3}));
}

TEST_F(SearchIndexTest, ShorterDocumentsRankFirstForTheSameOccurrences) {
  std::string long_text = "refund";
  for (int i = 0; i < 300; ++i) long_text += " word" + std::to_string(i);
  put(1, "", long_text);
  put(2, "", "refund policy");
  put(3, "", "refund refund refund refund policy");
  commit();
  EXPECT_EQ(idsFor("refund"), (Ids{3, 2, 1}));
  EXPECT_EQ(idsFor("退款 refund policy"), (Ids{3, 2}));  // 退款 is nowhere
}

TEST_F(SearchIndexTest, KindsFilter) {
  put(1, "退款流程", "", "article");
  put(2, "退款话术", "", "script");
  put(3, "退款申请", "", "work_order");
  commit();
  Query q;
  q.tenant_id = kTenant;
  q.text = "退款";
  EXPECT_EQ(ids(search(q)).size(), 3u);
  q.kinds = {"script"};
  EXPECT_EQ(ids(search(q)), Ids{2});
  q.kinds = {"article", "work_order"};
  auto both = ids(search(q));
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (Ids{1, 3}));
  q.kinds = {"no such kind!"};
  EXPECT_TRUE(search(q).empty());
  // Every kind the tenant has, and more: no filter needed, nothing left out.
  q.kinds = {"article", "script", "work_order", "customer"};
  EXPECT_EQ(ids(search(q)).size(), 3u);
  put(4, "退款", "", "customer", 2);
  commit();
  q.kinds = {"customer"};
  EXPECT_TRUE(search(q).empty());  // another tenant's kind
  for (const Hit& h : search("退款")) {
    EXPECT_EQ(h.kind, h.id == 1 ? "article" : h.id == 2 ? "script" : "work_order");
  }
}

TEST_F(SearchIndexTest, CategoryFilterAndSuggestionsNewestFirst) {
  put(1, "宽带报修流程", "", "article", kTenant, "12", 1000);
  put(2, "宽带安抚话术", "", "script", kTenant, "12", 3000);
  put(3, "宽带资费说明", "", "article", kTenant, "7", 5000);
  put(4, "宽带故障答复", "", "script", kTenant, "12", 2000);
  put(5, "其他租户", "", "script", 2, "12", 9000);
  put(6, "工单", "", "work_order", kTenant, "12", 9000);
  commit();
  Query q;
  q.tenant_id = kTenant;
  q.text = "宽带";
  q.category = "12";
  auto in12 = ids(search(q));
  std::sort(in12.begin(), in12.end());
  EXPECT_EQ(in12, (Ids{1, 2, 4}));

  auto s = index_->suggest(kTenant, "12", {"article", "script"}, 10);
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ(ids(*s), (Ids{2, 4, 1}));
  EXPECT_EQ(s->front().title, "宽带安抚话术");
  EXPECT_EQ(s->front().snippet, "宽带安抚话术");
  s = index_->suggest(kTenant, "12", {}, 2);
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ(ids(*s), (Ids{6, 2}));
  EXPECT_FALSE(index_->suggest(kTenant, "", {}, 10).isOk());
  EXPECT_FALSE(index_->suggest(0, "12", {}, 10).isOk());
}

TEST_F(SearchIndexTest, TenantsNeverSeeEachOthersDocuments) {
  // Same kind, id and text in two tenants: two documents.
  put(7, "宽带故障 refund", "客户电话 13800138000", "work_order", 1, "3", 10);
  put(7, "宽带故障 refund", "客户电话 13800138000", "work_order", 2, "3", 10);
  put(8, "only tenant two", "secret", "work_order", 2, "3", 20);
  commit();
  EXPECT_EQ(index_->size(), 3u);
  for (const char* text : {"宽带故障", "refund", "13800138000", "secret", "tenant two"}) {
    for (const Hit& h : search(text, 1)) EXPECT_EQ(h.id, 7) << text;
    EXPECT_TRUE(search(text, 3).empty()) << text;
  }
  EXPECT_EQ(idsFor("secret", 2), Ids{8});
  auto s = index_->suggest(1, "3", {}, 10);
  ASSERT_TRUE(s.isOk());
  EXPECT_EQ(ids(*s), Ids{7});
  // Removing tenant 2's copy leaves tenant 1's.
  ASSERT_TRUE(index_->remove("work_order", 2, 7).isOk());
  commit();
  EXPECT_EQ(idsFor("refund", 1), Ids{7});
  EXPECT_TRUE(idsFor("refund", 2).empty());
}

TEST_F(SearchIndexTest, WritesShowAfterCommitAndReplaceOrRemove) {
  put(1, "old title", "obsolete wording");
  EXPECT_TRUE(idsFor("obsolete").empty());
  EXPECT_EQ(index_->size(), 0u);
  commit();
  EXPECT_EQ(idsFor("obsolete"), Ids{1});
  put(1, "new title", "current wording");
  commit();
  EXPECT_TRUE(idsFor("obsolete").empty());
  EXPECT_EQ(idsFor("current"), Ids{1});
  EXPECT_EQ(index_->size(), 1u);
  ASSERT_TRUE(index_->remove("article", kTenant, 1).isOk());
  ASSERT_TRUE(index_->remove("article", kTenant, 99).isOk());  // absent: fine
  commit();
  EXPECT_TRUE(idsFor("current").empty());
  EXPECT_EQ(index_->size(), 0u);
}

TEST_F(SearchIndexTest, ReferencesAndPhoneNumbers) {
  put(1, "投诉工单 C20261122-0042", "客户电话13800138000，邮箱 li.lei@example.com");
  put(2, "工单 C20261122-0043", "联系电话 138-0013-9000");
  put(3, "", "回拨 139 1234 5678");
  put(4, "", "关联 REF-2026-0042-B 号");
  commit();
  EXPECT_EQ(idsFor("C20261122-0042"), Ids{1});
  EXPECT_EQ(idsFor("c20261122-0042"), Ids{1});
  EXPECT_EQ(idsFor("C202611220042"), Ids{1});
  EXPECT_TRUE(idsFor("C20261122-0044").empty());
  EXPECT_EQ(idsFor("13800138000"), Ids{1});
  EXPECT_EQ(idsFor("13800139000"), Ids{2});
  EXPECT_EQ(idsFor("138-0013-9000"), Ids{2});
  EXPECT_EQ(idsFor("13912345678"), Ids{3});
  EXPECT_EQ(idsFor("li.lei@example.com"), Ids{1});
  EXPECT_EQ(idsFor("REF-2026-0042"), Ids{4});  // part of a longer reference
  const auto hits = search("C20261122-0042");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NE(hits[0].snippet.find("<mark>C20261122-0042</mark>"), std::string::npos)
      << hits[0].snippet;
}

TEST_F(SearchIndexTest, SnippetsAreMarkedEscapedAndValid) {
  put(1, "Router <b>bold</b>",
      "客户说 <script>alert('x')</script> 宽带故障 & refunds " + std::string(400, 'z') +
          " 尾巴宽带");
  commit();
  const auto hits = search("宽带故障 refund");
  ASSERT_EQ(hits.size(), 1u);
  const std::string& s = hits[0].snippet;
  EXPECT_NE(s.find("<mark>宽带故障</mark>"), std::string::npos) << s;
  EXPECT_NE(s.find("<mark>refunds</mark>"), std::string::npos) << s;
  EXPECT_NE(s.find("&lt;script&gt;"), std::string::npos) << s;
  EXPECT_EQ(s.find("<script>"), std::string::npos) << s;
  EXPECT_EQ(s.find("<b>"), std::string::npos) << s;
  EXPECT_EQ(toValidUtf8(s, s.size()), s);
  EXPECT_EQ(hits[0].title, "Router <b>bold</b>");  // stored as given
}

TEST_F(SearchIndexTest, InvalidUtf8InDocumentsIsStoredValid) {
  put(1, "bad \xff title", "宽带\xe5\xae 故障");
  commit();
  const auto hits = search("故障");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(toValidUtf8(hits[0].title, 1000), hits[0].title);
  EXPECT_EQ(toValidUtf8(hits[0].snippet, 1000), hits[0].snippet);
}

TEST_F(SearchIndexTest, MalformedQueriesNeverFail) {
  put(1, "refund policy", "宽带故障 C20261122-0042");
  commit();
  std::mt19937 rng(42);
  std::string junk(10 * 1024, ' ');
  for (char& c : junk) c = static_cast<char>(rng());
  for (const std::string& text :
       {std::string("\"unbalanced quote"), std::string("refund\""), std::string("AND"),
        std::string("OR OR NOT"), std::string("-"), std::string("+"), std::string("((("),
        std::string("*"), std::string("title:"), std::string("NEAR/3 refund"),
        std::string("\xff\xfe\xfd"), std::string("宽带\xe5"), std::string("\0\0refund", 8),
        std::string(5000, '"'), std::string(3000, 'a'), junk, std::string()}) {
    auto hits = index_->search(queryOf(kTenant, text));
    EXPECT_TRUE(hits.isOk()) << text.substr(0, 40);
  }
  EXPECT_EQ(idsFor("\"refund"), Ids{1});
  EXPECT_EQ(idsFor("宽带\xe5"), Ids{1});
  // Only the first 1 KB counts: words after it are ignored.
  EXPECT_EQ(idsFor(std::string(2000, ' ') + "refund"), Ids{});
  EXPECT_EQ(idsFor("refund" + std::string(2000, ' ') + "zzz"), Ids{1});
  EXPECT_FALSE(index_->search(queryOf(0, "refund")).isOk());
}

TEST_F(SearchIndexTest, BadDocumentsAreRejected) {
  Document d;
  d.kind = "Article";
  d.tenant_id = 1;
  EXPECT_EQ(index_->put(d).code(), StatusCode::kInvalidArgument);
  d.kind = "article";
  d.tenant_id = 0;
  EXPECT_EQ(index_->put(d).code(), StatusCode::kInvalidArgument);
  d.tenant_id = 1;
  d.category = std::string(65, 'c');
  EXPECT_EQ(index_->put(d).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index_->remove("a:b", 1, 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(SearchIndexTest, LimitAndOffsetAreClamped) {
  for (int i = 1; i <= 120; ++i) put(i, "退款", "第" + std::to_string(i) + "单");
  commit();
  Query q;
  q.tenant_id = kTenant;
  q.text = "退款";
  q.limit = 1000;
  EXPECT_EQ(search(q).size(), 100u);
  q.limit = 0;
  EXPECT_EQ(search(q).size(), 1u);
  q.limit = 50;
  q.offset = -3;
  const auto first = ids(search(q));
  q.offset = 50;
  const auto second = ids(search(q));
  q.offset = 100;
  EXPECT_EQ(search(q).size(), 20u);
  ASSERT_EQ(first.size(), 50u);
  for (auto id : second) EXPECT_EQ(std::count(first.begin(), first.end(), id), 0);
}

TEST_F(SearchIndexTest, SearchesRunWhileAnotherThreadWrites) {
  put(0, "宽带故障", "seed");
  commit();
  std::atomic<bool> done = false;
  std::mutex errors_mu;
  std::vector<std::string> errors;  // guarded by errors_mu
  auto fail = [&](std::string what) {
    std::lock_guard lock(errors_mu);
    errors.push_back(std::move(what));
  };
  std::atomic<int> searches = 0;
  std::thread writer([&] {
    for (int i = 1; i <= 300; ++i) {
      Document d =
          docOf("work_order", kTenant, i, "宽带故障 " + std::to_string(i), "refund request", "1");
      d.updated_at = i;
      if (Status st = index_->put(d); !st.isOk()) fail("put: " + st.message());
      if (i % 10 == 0) {
        if (Status st = index_->commit(); !st.isOk()) fail("commit: " + st.message());
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      while (!done) {
        Query q = queryOf(kTenant, r % 2 ? "宽带故障" : "refunds");
        q.limit = 100;
        auto hits = index_->search(q);
        auto sugg = index_->suggest(kTenant, "1", {"work_order"}, 5);
        if (!hits.isOk() || !sugg.isOk()) {
          fail("read: " + hits.status().message() + sugg.status().message());
          continue;
        }
        ++searches;
        for (const Hit& h : *hits) {
          if (h.id < 0 || h.id > 300 || h.title.rfind("宽带故障", 0) != 0) fail("hit " + h.title);
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  EXPECT_GT(searches, 0);
  EXPECT_EQ(index_->size(), 301u);
  Query q = queryOf(kTenant, "宽带故障");
  q.kinds = {"work_order"};
  q.limit = 100;
  q.offset = 250;
  EXPECT_EQ(search(q).size(), 50u);
}

TEST(SearchIndexOnDisk, PersistsAndIsLockedByItsWriter) {
  std::string dir = (std::filesystem::temp_directory_path() / "ting-search-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    auto index = Index::open(dir + "/index");
    ASSERT_TRUE(index.isOk()) << index.status().message();
    Document d = docOf("customer", 5, 42, "张伟 Zhang Wei", "北京某某科技有限公司 13800138000");
    ASSERT_TRUE((*index)->put(d).isOk());
    ASSERT_TRUE((*index)->commit().isOk());
    auto second = Index::open(dir + "/index");
    ASSERT_FALSE(second.isOk());
    EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  }
  {
    auto index = Index::open(dir + "/index");
    ASSERT_TRUE(index.isOk()) << index.status().message();
    auto hits = (*index)->search(queryOf(5, "张伟 科技"));
    ASSERT_TRUE(hits.isOk());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].kind, "customer");
    EXPECT_EQ((*hits)[0].id, 42);
    EXPECT_EQ((*hits)[0].title, "张伟 Zhang Wei");
  }
  std::filesystem::remove_all(dir);
}

TEST(SearchIndexOnDisk, AnIndexOfAnEarlierLayoutStartsAgainEmpty) {
  std::string dir = (std::filesystem::temp_directory_path() / "ting-search-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    // Terms not scoped to a tenant, and no layout named.
    Xapian::WritableDatabase db(dir + "/index", Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
    Xapian::Document d;
    d.add_term("宽带");
    d.add_boolean_term("T1");
    db.add_document(d);
    db.commit();
  }
  // The sync's cursors beside it go too, so that everything is indexed anew.
  std::ofstream(dir + "/index/cursors.json") << "{}";
  auto index = Index::open(dir + "/index");
  ASSERT_TRUE(index.isOk()) << index.status().message();
  EXPECT_EQ((*index)->size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/index/cursors.json"));
  ASSERT_TRUE((*index)->put({.kind = "article", .tenant_id = 1, .id = 7, .title = "宽带故障"}).isOk());
  ASSERT_TRUE((*index)->commit().isOk());
  index->reset();
  auto again = Index::open(dir + "/index");  // its own layout now: kept
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ((*again)->size(), 1u);
  again->reset();
  std::filesystem::remove_all(dir);
}

TEST(SearchIndexThrowaway, LivesInTmpdirAndIsRemoved) {
  std::string tmp = (std::filesystem::temp_directory_path() / "ting-search-tmp-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmp.data()), nullptr);
  const char* old = getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  {
    auto index = Index::open("");
    ASSERT_TRUE(index.isOk());
    EXPECT_FALSE(std::filesystem::is_empty(tmp));
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
  if (old) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace ting::search
