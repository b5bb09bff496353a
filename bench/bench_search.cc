// Full-text search at scale: indexes N documents (default 2,000,000: half
// customer cards with Chinese and English names, companies and phone numbers,
// half work orders written from Chinese complaint phrases and English words;
// 3 tenants, 10 categories), printing documents per second, then times
// search::Index::search for random queries of 1-3 Chinese and English terms
// (limit 10, with snippets) and prints p50, p99 and max.
//
//   bench_search [--docs N] [--queries N] [--slowest N] [--dir PATH]
// --dir: where the index goes (default: a fresh directory in /tmp, removed at
// the end); an existing index there is kept, and its documents are replaced by
// the same ones (--docs 0 times searches on it alone: the queries are the same
// whether this run indexed or not).
// --slowest: also prints the N slowest queries with their times and hits.

#include <unistd.h>  // getpid

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "search/search_index.h"

namespace {

using ting::search::Document;
using ting::search::Index;
using ting::search::Query;
using Clock = std::chrono::steady_clock;

constexpr int kTenants = 3;
constexpr int kCategories = 10;
constexpr std::int64_t kCommitEvery = 50'000;

constexpr std::array kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                  "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
constexpr std::array kGivenChars = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
                                    "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平",
                                    "刚", "英", "华", "玉", "兰", "萍", "红", "鹏", "飞", "婷"};
constexpr std::array kFirstNames = {"James",   "Mary",  "John",   "Linda", "Robert",  "Emily",
                                    "Michael", "Sarah", "David",  "Lisa",  "William", "Karen",
                                    "Richard", "Nancy", "Thomas", "Susan", "Kevin",   "Grace"};
constexpr std::array kLastNames = {"Smith",  "Johnson",  "Brown",   "Taylor", "Miller", "Wilson",
                                   "Moore",  "Anderson", "Jackson", "White",  "Harris", "Martin",
                                   "Garcia", "Clark",    "Lewis",   "Walker", "Young",  "Allen"};
constexpr std::array kCities = {"北京", "上海", "广州", "深圳", "杭州",
                                "成都", "武汉", "南京", "西安", "重庆"};
constexpr std::array kFirmCores = {"华信", "恒通", "新天", "宏达", "瑞丰",
                                   "金盛", "博远", "中科", "创新", "汇通"};
constexpr std::array kFirmTypes = {"科技有限公司", "贸易有限公司", "电子有限公司", "物流有限公司",
                                   "网络科技有限公司"};
constexpr std::array kFirmsEn = {"Acme",  "Globex", "Initech", "Umbrella", "Vandelay",
                                 "Stark", "Wayne",  "Soylent", "Hooli",    "Cyberdyne"};
constexpr std::array kFirmTypesEn = {"Ltd", "Inc", "Corp", "Trading", "Logistics", "Systems"};
constexpr std::array kComplaints = {
    "宽带故障",         "网络无法连接",   "信号很差",     "话费扣费异常",   "套餐变更未生效",
    "退款一直没有到账", "客服态度不好",   "安装师傅迟到", "路由器无法上网", "电视没有信号",
    "账单金额不对",     "重复扣费",       "手机无法接通", "流量用超了",     "合约到期",
    "申请销户",         "投诉处理太慢",   "要求赔偿",     "服务中断三天",   "上门维修",
    "密码重置",         "发票没有收到",   "快递丢失",     "商品质量问题",   "退货退款",
    "物流太慢",         "优惠券无法使用", "积分清零",     "会员权益",       "预约安装",
    "网速很慢",         "光猫指示灯异常", "停机保号",     "号码被停机",     "实名认证失败",
    "营业厅排队",       "升级千兆宽带",   "携号转网",     "国际漫游",       "短信收不到"};
constexpr std::array kLinks = {"客户反映",     "用户来电称", "已经三天",   "多次联系未解决",
                               "希望尽快处理", "情绪激动",   "要求回电",   "请相关部门跟进",
                               "第二次投诉",   "经核实",     "已安抚客户", "承诺今天回复"};
constexpr std::array kEnglish = {
    "refund",       "router",    "broadband", "outage",     "billing",    "invoice",
    "password",     "reset",     "delivery",  "delayed",    "cancel",     "upgrade",
    "signal",       "network",   "complaint", "escalate",   "technician", "appointment",
    "charge",       "duplicate", "account",   "modem",      "wifi",       "fiber",
    "contract",     "renewal",   "roaming",   "activation", "voucher",    "warranty",
    "refunds",      "charged",   "cancelled", "upgrading",  "slow",       "speed",
    "installation", "customer",  "urgent",    "callback"};
constexpr std::array kTiers = {"普通会员", "银卡会员", "金卡会员", "钻石会员"};

// Work order `id`'s reference, a function of the id alone, so that queries
// can name references of an index built by an earlier run.
std::string referenceOf(std::int64_t id) {
  std::uint64_t h = static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ull;  // splitmix64
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  h ^= h >> 31;
  char buf[32];
  std::snprintf(buf, sizeof buf, "C2026%02d%02d-%04d", static_cast<int>(1 + h % 12),
                static_cast<int>(1 + h / 12 % 28), static_cast<int>(h / 336 % 10000));
  return buf;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  template <class T, std::size_t N>
  const char* pick(const std::array<T, N>& items) {
    return items[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng_)];
  }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string chineseName() {
    std::string name = pick(kSurnames);
    for (int k = between(1, 2); k > 0; --k) name += pick(kGivenChars);
    return name;
  }
  std::string englishName() { return std::string(pick(kFirstNames)) + " " + pick(kLastNames); }
  std::string phone() {
    std::string p(1, '1');
    p.push_back(static_cast<char>('0' + between(3, 9)));
    for (int k = 0; k < 9; ++k) p.push_back(static_cast<char>('0' + between(0, 9)));
    return p;
  }

  Document customer(std::int64_t id) {
    Document d;
    d.kind = "customer";
    d.id = id;
    const std::string en = englishName();
    d.title = chineseName() + (between(0, 1) ? " " + en : "");
    std::string& b = d.body;
    if (between(0, 2) > 0) {
      b += std::string(pick(kCities)) + pick(kFirmCores) + pick(kFirmTypes);
    } else {
      b += std::string(pick(kFirmsEn)) + " " + pick(kFirmTypesEn);
    }
    b += " 电话 " + phone();
    if (between(0, 3) == 0) b += " 备用 " + phone();
    std::string mail = en.substr(0, en.find(' ')) + std::to_string(between(1, 999));
    std::transform(mail.begin(), mail.end(), mail.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    b += " 邮箱 " + mail + "@example.com ";
    b += std::string(pick(kTiers)) + " 客户编号 CU" + std::to_string(100000 + id);
    if (between(0, 1) == 0) b += std::string(" 地址 ") + pick(kCities) + "市";
    d.lang = "";
    return d;
  }

  Document workOrder(std::int64_t id) {
    Document d;
    d.kind = "work_order";
    d.id = id;
    d.title = pick(kComplaints);
    if (between(0, 2) == 0) d.title += std::string(" ") + pick(kEnglish);
    std::string& b = d.body;
    b = "工单 " + referenceOf(id) + " ";
    for (int k = between(6, 14); k > 0; --k) {
      switch (between(0, 4)) {
        case 0:
        case 1:
          b += pick(kComplaints);
          break;
        case 2:
          b += pick(kLinks);
          break;
        default:
          b += std::string(" ") + pick(kEnglish) + " ";
          break;
      }
      b += between(0, 3) == 0 ? "，" : "";
    }
    if (between(0, 4) == 0) b += " 联系电话 " + phone();
    d.lang = "zh";
    return d;
  }

  // 1-3 terms: Chinese phrases or parts of them, English words, names, and
  // now and then the reference of one of the first `work_orders` work orders
  // or a phone number (random, so seldom in the data).
  std::string query(std::int64_t work_orders) {
    std::string q;
    for (int k = between(1, 3); k > 0; --k) {
      if (!q.empty()) q += " ";
      switch (between(0, 5)) {
        case 0:
          q += pick(kComplaints);
          break;
        case 1: {
          // Two to four characters of a phrase (3 bytes each).
          const std::string phrase = pick(kComplaints);
          const int chars = static_cast<int>(phrase.size() / 3);
          const int len = std::min(chars, between(2, 4));
          q += phrase.substr(3 * between(0, chars - len), 3 * len);
          break;
        }
        case 2:
        case 3:
          q += pick(kEnglish);
          break;
        case 4:
          q += between(0, 1) ? chineseName() : pick(kLastNames);
          break;
        default:
          q += between(0, 1) && work_orders > 0
                   ? referenceOf(std::uniform_int_distribution<std::int64_t>(1, work_orders)(rng_))
                   : phone();
          break;
      }
    }
    return q;
  }

 private:
  std::mt19937_64 rng_;
};

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::uintmax_t diskBytes(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

long long argValue(const char* flag, const char* value) {
  char* end = nullptr;
  const long long n = std::strtoll(value, &end, 10);
  if (end == value || *end != '\0' || n < 0) {
    std::fprintf(stderr, "%s wants a number, not %s\n", flag, value);
    std::exit(2);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t docs = 2'000'000;
  int queries = 1000;
  int slowest = 0;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--docs") == 0) {
      docs = argValue(argv[i], argv[i + 1]);
    } else if (std::strcmp(argv[i], "--queries") == 0) {
      queries = static_cast<int>(argValue(argv[i], argv[i + 1]));
    } else if (std::strcmp(argv[i], "--slowest") == 0) {
      slowest = static_cast<int>(argValue(argv[i], argv[i + 1]));
    } else if (std::strcmp(argv[i], "--dir") == 0) {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--docs N] [--queries N] [--slowest N] [--dir PATH]\n",
                   argv[0]);
      return 2;
    }
  }
  const bool own_dir = dir.empty();
  if (own_dir) {
    dir = (std::filesystem::temp_directory_path() / ("bench-search-" + std::to_string(getpid())))
              .string();
  }
  auto opened = Index::open(dir);
  if (!opened.isOk()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), opened.status().message().c_str());
    return 1;
  }
  std::unique_ptr<Index> index = std::move(opened).value();

  Generator gen(20261122);
  std::printf("indexing %lld documents into %s\n", static_cast<long long>(docs), dir.c_str());
  const auto index_start = Clock::now();
  for (std::int64_t i = 0; i < docs; ++i) {
    Document d = i % 2 == 0 ? gen.customer(i / 2 + 1) : gen.workOrder(i / 2 + 1);
    d.tenant_id = 1 + i % kTenants;
    d.category = std::to_string(1 + (i / 2) % kCategories);
    d.updated_at = 1'795'000'000'000 + i * 1000;
    if (auto st = index->put(d); !st.isOk()) {
      std::fprintf(stderr, "put: %s\n", st.message().c_str());
      return 1;
    }
    if ((i + 1) % kCommitEvery == 0 || i + 1 == docs) {
      if (auto st = index->commit(); !st.isOk()) {
        std::fprintf(stderr, "commit: %s\n", st.message().c_str());
        return 1;
      }
      if ((i + 1) % 500'000 == 0) {
        std::printf("  %lld documents, %.0f docs/s so far\n", static_cast<long long>(i + 1),
                    (i + 1) / (msSince(index_start) / 1000));
        std::fflush(stdout);
      }
    }
  }
  const double index_ms = msSince(index_start);
  const std::uint64_t in_index = index->size();
  std::printf("indexed %lld documents in %.1f s: %.0f docs/s; %llu in the index, %.0f MB on disk\n",
              static_cast<long long>(docs), index_ms / 1000,
              docs > 0 ? docs / (index_ms / 1000) : 0.0, static_cast<unsigned long long>(in_index),
              diskBytes(dir) / 1e6);

  // Queries come from a generator of their own: the same ones whether this
  // run indexed or not. Documents alternate customer, work order.
  Generator query_gen(20261123);
  struct Timed {
    double ms;
    std::size_t hits;
    std::string text;
  };
  std::vector<Timed> timed;
  std::size_t total_hits = 0;
  int empty = 0;
  int errors = 0;
  std::string example;
  for (int k = 0; k < queries; ++k) {
    Query q;
    q.tenant_id = query_gen.between(1, kTenants);
    q.text = query_gen.query(static_cast<std::int64_t>(in_index / 2));
    q.limit = 10;
    const auto start = Clock::now();
    auto hits = index->search(q);
    const double ms = msSince(start);
    if (!hits.isOk()) {
      ++errors;
      timed.push_back({ms, 0, q.text});
      continue;
    }
    timed.push_back({ms, hits->size(), q.text});
    total_hits += hits->size();
    if (hits->empty()) ++empty;
    if (example.empty() && !hits->empty()) example = q.text + " → " + hits->front().snippet;
  }
  std::sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
  auto at = [&](double p) {
    return timed.empty()
               ? 0.0
               : timed[std::min(timed.size() - 1, static_cast<std::size_t>(p * timed.size()))].ms;
  };
  std::printf(
      "%d searches (limit 10, snippets): p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
      "%.1f hits on average, %d with none, %d errors\n",
      queries, at(0.50), at(0.99), timed.empty() ? 0.0 : timed.back().ms,
      queries ? static_cast<double>(total_hits) / queries : 0.0, empty, errors);
  if (!example.empty()) std::printf("e.g. %s\n", example.c_str());
  for (int k = 0; k < slowest && k < static_cast<int>(timed.size()); ++k) {
    const Timed& t = timed[timed.size() - 1 - k];
    std::printf("  %7.2f ms %3zu hits  %s\n", t.ms, t.hits, t.text.c_str());
  }

  index.reset();
  if (own_dir) std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}
