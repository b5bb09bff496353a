// `ting`: the command line of the Ting contact center.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/log.h"
#include "crm/csv.h"
#include "crm/customer_export.h"
#include "crm/customer_import.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "ivr/validate.h"
#include "server/server.h"
#include "store/migrations/migrations.h"

namespace {

using ting::Config;
using ting::Status;

constexpr const char* kUsage = R"(ting — an intelligent contact center

Usage: ting [OPTIONS] COMMAND [ARGS]

Commands:
  serve                 run the server (HTTP API, WebSocket, SIP)
  migrate               apply database migrations and exit
  user add|passwd|list  manage users of a tenant
  backup DEST           consistent online copy of the data directory into DEST
  ivr validate FILE     check an IVR flow file and list every problem in it
  import customers FILE import customers from a CSV file into a tenant
  export customers FILE export a tenant's customers to a CSV file
  version               print the version
  help [config]         this text, or the reference of every configuration key

Options (accepted by every command):
  --config FILE         TOML configuration file (also TING_CONFIG)
  --data DIR            data directory (default ./var)
  --db URL              SQLite file or postgresql://user@host:port/db
  --http ADDR:PORT      HTTP listen address (default 0.0.0.0:8080)
  --sip ADDR:PORT       SIP listen address (default 0.0.0.0:5060)
  --log-level LEVEL     trace, debug, info, warn, error, off
  --demo                seed the demo tenant
  --demo-password PW    password of every demo account
  -h, --help            help for the command

Precedence: flags > TING_* environment variables > configuration file > defaults.
Run `ting help config` for every key.
)";

constexpr const char* kServeHelp = R"(Usage: ting serve [OPTIONS]

Runs Ting: HTTP API and WebSocket on --http, SIP on --sip, storage in --data
(SQLite) or --db. Migrations are applied at start. SIGTERM or SIGINT stops it
cleanly: requests in flight finish, the database is closed, exit code 0.
With --demo the demo tenant "demo" is seeded once (users admin, super, lead,
qa, agents 1001-1005, sample customers); --demo-password sets their password
at every start, otherwise a random one is printed on the first start.
)";

constexpr const char* kMigrateHelp = R"(Usage: ting migrate [OPTIONS]

Applies every pending database migration and prints the schema version.
`ting serve` does the same at start; this is for deployments that migrate
before rolling out.
)";

constexpr const char* kUserHelp = R"(Usage:
  ting user add USERNAME --tenant SLUG --role ROLE [--password PW | --password-stdin]
                [--display-name NAME] [--phone NUMBER]
  ting user passwd USERNAME --tenant SLUG [--password PW | --password-stdin]
  ting user list --tenant SLUG

Roles: agent, team_lead, qa_inspector, supervisor, admin, department; operator
(only in the tenant "system"). Without a password, add and passwd generate one
and print it. A new password also unlocks the account.
)";

constexpr const char* kBackupHelp = R"(Usage: ting backup DEST [OPTIONS]

Writes a consistent copy of the data directory into DEST (created if needed)
while Ting keeps running: the SQLite database through SQLite's online backup
(one snapshot), then the other files (recordings, prompts, ...). Start a
server with --data DEST to use the copy. With PostgreSQL, back the database
up with pg_dump; this command then copies the files only.
)";

constexpr const char* kIvrHelp = R"(Usage: ting ivr validate FILE

Checks an IVR flow (JSON, see docs/ivr.md) the way Ting checks it before it
goes live, and lists every problem, one a line:
  node <id>: <path>: <message>    a problem in a node
  flow: <path>: <message>         a problem outside the nodes (start, calendars, lists)
FILE may be - for standard input. Recordings named in {"file": ...} prompts
are checked for a well-formed name only; the server checks that they exist.
Exit code 0 when the flow is fine ("ok: N nodes"), 1 when it has problems,
2 when the file cannot be read.
)";

constexpr const char* kImportHelp =
    R"help(Usage: ting import customers FILE.csv --tenant SLUG [--report FILE]
                 [--on-duplicate create|skip|update]

Imports customers from a CSV file (UTF-8, with or without a byte order mark)
into the tenant. The first line names the columns: name, phone, email,
company, tags (separated by ;), address, notes (or 姓名, 电话, 邮箱, 公司,
标签, 地址, 备注), vip_level (0-5), owner (a username or staff number) and
created_at (ignored); any other column becomes a custom field. Several numbers in
one phone cell are separated by ;. A row with neither a name nor a phone, or
with a number that is not valid, is rejected and reported; the other rows are
imported (a bad row never half-applies). Safe while the server runs on the
same data directory. A row whose number a customer already has becomes a new
customer (create, the default), is skipped (skip), or completes that
customer's card (update: its non-empty cells; numbers and tags are added); a
number several customers share rejects the row with skip and update.
Prints "imported N, rejected M (report: PATH)" (with ", skipped S" or
", updated U" after N for those modes); the report lists every
rejected row (line, field, error) and goes to --report or to
<data>/imports/customers-<time>-report.csv, with a byte order mark. The
import is audited. Exit code 0 when the file was processed, 2 when it could
not be read or has no usable header line, 1 when the report could not be
written (the customers are imported).
)help";

constexpr const char* kExportHelp =
    R"help(Usage: ting export customers FILE.csv --tenant SLUG [--tag TAG] [--vip yes|no]
                 [--search TEXT] [--owner USER]

Writes the tenant's customers, oldest first, to FILE (- for standard output)
in the form `ting import customers` reads back: UTF-8 with a byte order mark,
columns name, phone (every number, separated by ;), email, company, tags,
address, notes, vip_level, owner (username), created_at, then one column per
custom field. --tag, --vip, --search (a part of the name, company, number or
e-mail) and --owner (username or staff number) choose which customers. The
file appears whole or not at all. The export is audited. Safe while the server
runs on the same data directory.
Prints "exported N (file: PATH)" (to standard error when FILE is -). Exit code
0 when the file was written, 2 on a bad option or unknown tenant, 1 when the
file cannot be written.
)help";

constexpr const char* kVersionHelp = "Usage: ting version\n\nPrints the version.\n";

struct CommandLine {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // command options (--tenant, ...)
  std::map<std::string, std::string> config;   // config key → value from flags
  std::string config_file;
  bool help = false;
};

// Command options that take a value, besides the configuration flags.
const std::vector<std::string> kValueOptions = {
    "--tenant", "--role", "--password", "--display-name", "--phone",       "--report",
    "--tag",    "--vip",  "--search",   "--owner",        "--on-duplicate"};
const std::vector<std::string> kSwitchOptions = {"--password-stdin"};

bool parseArgs(int argc, char** argv, CommandLine& cl, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      cl.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      cl.positional.push_back(arg);
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) {
        error = name + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (name == "--config") {
      if (!take_value()) return false;
      cl.config_file = value;
      continue;
    }
    const ting::ConfigKey* key = nullptr;
    for (const auto& k : ting::configKeys()) {
      if (!k.flag.empty() && k.flag == name) key = &k;
    }
    if (key) {
      if (key->kind == ting::ConfigKind::kBool) {
        cl.config[key->key] = has_value ? value : "true";
      } else {
        if (!take_value()) return false;
        cl.config[key->key] = value;
      }
      continue;
    }
    if (std::find(kValueOptions.begin(), kValueOptions.end(), name) != kValueOptions.end()) {
      if (!take_value()) return false;
      cl.options[name] = value;
      continue;
    }
    if (std::find(kSwitchOptions.begin(), kSwitchOptions.end(), name) != kSwitchOptions.end()) {
      cl.options[name] = "true";
      continue;
    }
    error = "unknown option " + name + " (see ting --help)";
    return false;
  }
  return true;
}

Status loadConfig(const CommandLine& cl, Config& config) {
  std::string file = cl.config_file;
  if (file.empty()) {
    if (const char* env = std::getenv("TING_CONFIG")) file = env;
  }
  if (!file.empty()) TING_RETURN_IF_ERROR(ting::applyConfigFile(config, file));
  TING_RETURN_IF_ERROR(ting::applyConfigEnv(config, [](const char* n) { return std::getenv(n); }));
  for (const auto& [key, value] : cl.config) {
    Status s = ting::setConfigValue(config, key, value);
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

int fail(const Status& s) {
  std::fprintf(stderr, "ting: %s\n", s.message().c_str());
  return s.code() == ting::StatusCode::kInvalidArgument ||
                 s.code() == ting::StatusCode::kInvalidValue
             ? 2
             : 1;
}

int runServe(const Config& config) {
  ting::server::blockStopSignals();
  ting::server::Server server(config);
  Status s = server.start();
  if (!s.isOk()) {
    spdlog::error("cannot start: {}", s.message());
    server.stop();
    return 1;
  }
  server.waitForStopSignal();
  server.stop();
  return 0;
}

int runMigrate(const Config& config) {
  auto storage = ting::server::Storage::open(config, nullptr);
  if (!storage.isOk()) return fail(storage.status());
  auto version = ting::store::schemaVersion((*storage)->db());
  if (!version.isOk()) return fail(version.status());
  std::printf("schema version %d (%s)\n", *version, (*storage)->db().describe().c_str());
  return 0;
}

ting::Result<std::string> readPassword(const CommandLine& cl, bool& generated) {
  generated = false;
  if (cl.options.contains("--password-stdin")) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (auto it = cl.options.find("--password"); it != cl.options.end()) return it->second;
  generated = true;
  return ting::randomPassword(16);
}

// The storage and the tenant named by --tenant, for commands that work in one.
ting::Result<std::pair<std::unique_ptr<ting::server::Storage>, ting::identity::Tenant>> openTenant(
    const Config& config, const CommandLine& cl) {
  using namespace ting;
  auto slug = cl.options.find("--tenant");
  if (slug == cl.options.end()) return invalidArgument("--tenant is required");
  TING_ASSIGN_OR_RETURN(auto storage, server::Storage::open(config, nullptr));
  identity::Tenant tenant;
  Status s = storage->store().read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(tenant, identity::findTenantBySlug(session, slug->second));
    return Status::ok();
  });
  if (!s.isOk()) {
    return s.code() == StatusCode::kNotFound ? invalidArgument("no tenant '" + slug->second + "'")
                                             : s;
  }
  return std::make_pair(std::move(storage), std::move(tenant));
}

int runUser(const Config& config, const CommandLine& cl) {
  using namespace ting;
  if (cl.positional.size() < 2) {
    std::fputs(kUserHelp, stderr);
    return 2;
  }
  const std::string& verb = cl.positional[1];
  auto opened = openTenant(config, cl);
  if (!opened.isOk()) return fail(opened.status());
  auto& storage = opened->first;
  const identity::Tenant& tenant = opened->second;
  store::Store& st = storage->store();
  Status s;
  store::Actor actor{tenant.id, 0, "cli", "cli"};
  const PasswordParams params = server::passwordParams(config);

  if (verb == "list") {
    store::Rows rows;
    s = st.read([&](store::Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(rows, session.query(std::string("SELECT ") + identity::kUserColumns +
                                                    " FROM users WHERE tenant_id = ? ORDER BY "
                                                    "username",
                                                {tenant.id}));
      return Status::ok();
    });
    if (!s.isOk()) return fail(s);
    std::printf("%-20s %-14s %-9s %s\n", "USERNAME", "ROLE", "STATE", "NAME");
    for (const auto& r : rows) {
      auto u = identity::userFromRow(r);
      std::printf("%-20s %-14s %-9s %s\n", u.username.c_str(),
                  std::string(identity::roleName(u.role)).c_str(),
                  u.disabled ? "disabled" : "active", u.display_name.c_str());
    }
    return 0;
  }
  if (cl.positional.size() < 3) return fail(ting::invalidArgument("USERNAME is required"));
  const std::string& username = cl.positional[2];
  bool generated = false;
  auto password = readPassword(cl, generated);
  if (!password.isOk()) return fail(password.status());

  if (verb == "add") {
    auto role_it = cl.options.find("--role");
    if (role_it == cl.options.end()) return fail(ting::invalidArgument("--role is required"));
    auto role = identity::parseRole(role_it->second);
    if (!role) return fail(ting::invalidArgument("no role '" + role_it->second + "'"));
    if ((*role == identity::Role::kOperator) != (tenant.slug == identity::kSystemTenant)) {
      return fail(
          ting::invalidArgument("operators, and only operators, belong to tenant 'system'"));
    }
    identity::NewUser nu{
        username, *password, *role,
        cl.options.contains("--display-name") ? cl.options.at("--display-name") : "",
        cl.options.contains("--phone") ? cl.options.at("--phone") : ""};
    s = st.write(actor, [&](store::Tx& tx) -> Status {
      auto u = identity::createUser(tx, tenant.id, nu, params);
      return u.isOk() ? Status::ok() : u.status();
    });
    if (!s.isOk()) return fail(s);
    std::printf("user %s added to %s as %s\n", username.c_str(), tenant.slug.c_str(),
                role_it->second.c_str());
  } else if (verb == "passwd") {
    s = st.write(actor, [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(auto user,
                            identity::findUserByUsername(tx.session(), tenant.id, username));
      identity::UserPatch patch;
      patch.password = *password;
      auto u = identity::updateUser(tx, tenant.id, user.id, patch, params);
      return u.isOk() ? Status::ok() : u.status();
    });
    if (!s.isOk()) return fail(s);
    std::printf("password of %s in %s changed\n", username.c_str(), tenant.slug.c_str());
  } else {
    return fail(ting::invalidArgument("unknown user command '" + verb + "' (add, passwd, list)"));
  }
  if (generated) std::printf("password: %s\n", password->c_str());
  return 0;
}

int runBackup(const Config& config, const CommandLine& cl) {
  namespace fs = std::filesystem;
  if (cl.positional.size() < 2) return fail(ting::invalidArgument("DEST is required"));
  fs::path dest = cl.positional[1];
  std::error_code ec;
  if (fs::exists(dest / "ting.db", ec)) {
    return fail(ting::invalidArgument("'" + dest.string() +
                                      "' already holds a ting.db; choose an empty "
                                      "directory"));
  }
  {
    // A destination inside the data directory would be copied into itself.
    auto data = fs::weakly_canonical(config.data_dir, ec).string() + "/";
    auto target = fs::weakly_canonical(dest, ec).string() + "/";
    if (target.rfind(data, 0) == 0) {
      return fail(ting::invalidArgument("DEST may not lie inside the data directory"));
    }
  }
  fs::create_directories(dest, ec);
  if (ec) return fail(ting::unavailable("cannot create " + dest.string() + ": " + ec.message()));
  auto storage = ting::server::Storage::open(config, nullptr);
  if (!storage.isOk()) return fail(storage.status());
  auto& db = (*storage)->db();
  if (db.dialect() == ting::store::Dialect::kSqlite) {
    Status s = db.backupTo((dest / "ting.db").string());
    if (!s.isOk()) return fail(s);
  } else {
    std::fprintf(stderr,
                 "ting: the database is PostgreSQL (%s): back it up with pg_dump; "
                 "copying the data directory's files only\n",
                 db.describe().c_str());
  }
  fs::path src = config.data_dir;
  for (const auto& entry : fs::directory_iterator(src, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("ting.db", 0) == 0) continue;  // the database, copied above
    fs::copy(entry.path(), dest / name, fs::copy_options::recursive, ec);
    if (ec) return fail(ting::unavailable("cannot copy " + name + ": " + ec.message()));
  }
  std::printf("backup of %s written to %s\n", db.describe().c_str(), dest.string().c_str());
  return 0;
}

int runImport(const Config& config, const CommandLine& cl) {
  namespace fs = std::filesystem;
  using namespace ting;
  if (cl.positional.size() != 3 || cl.positional[1] != "customers") {
    std::fputs(kImportHelp, stderr);
    return 2;
  }
  const std::string& file = cl.positional[2];
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    std::fprintf(stderr, "ting: cannot read %s: %s\n", file.c_str(),
                 fs::exists(file, ec) ? "not a file" : "no such file");
    return 2;
  }
  std::string text;
  {
    std::ifstream in(file, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
      std::fprintf(stderr, "ting: cannot read %s\n", file.c_str());
      return 2;
    }
  }
  auto opened = openTenant(config, cl);
  if (!opened.isOk()) return fail(opened.status());
  auto& storage = opened->first;
  const identity::Tenant& tenant = opened->second;
  store::Store& st = storage->store();
  crm::ImportOptions options;
  if (auto it = cl.options.find("--on-duplicate"); it != cl.options.end()) {
    auto mode = crm::parseOnDuplicate(it->second);
    if (!mode) {
      std::fprintf(stderr, "ting: --on-duplicate takes create, skip or update, not '%s'\n",
                   it->second.c_str());
      return 2;
    }
    options.on_duplicate = *mode;
  }
  std::size_t shown = 0;
  options.progress = [&shown](std::size_t done, std::size_t total, const crm::ImportReport& r) {
    if (r.rows < shown + 10'000 && done < total) return;
    shown = r.rows;
    std::fprintf(stderr, "%zu rows (%zu%%)\n", r.rows, total == 0 ? 100 : done * 100 / total);
  };
  auto report = crm::importCustomers(st, store::Actor{tenant.id, 0, "cli", "cli"}, text, options);
  if (!report.isOk()) {
    std::fprintf(stderr, "ting: %s: %s\n", file.c_str(), report.status().message().c_str());
    return 2;
  }
  fs::path out;
  if (auto r = cl.options.find("--report"); r != cl.options.end()) {
    out = r->second;
  } else {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    out =
        fs::path(config.data_dir) / "imports" / ("customers-" + std::string(stamp) + "-report.csv");
  }
  fs::create_directories(out.parent_path().empty() ? fs::path(".") : out.parent_path(), ec);
  Status audited = crm::auditImport(st, store::Actor{tenant.id, 0, "cli", "cli"}, *report);
  // "imported N, rejected M", with what became of the duplicates when asked.
  std::string summary = "imported " + std::to_string(report->imported);
  if (options.on_duplicate == crm::OnDuplicate::kUpdate) {
    summary += ", updated " + std::to_string(report->updated);
  } else if (options.on_duplicate == crm::OnDuplicate::kSkip) {
    summary += ", skipped " + std::to_string(report->skipped);
  }
  summary += ", rejected " + std::to_string(report->rejected);
  if (!audited.isOk()) std::fprintf(stderr, "ting: %s\n", audited.message().c_str());
  // With a byte order mark, as the API's reports: spreadsheets need it for Chinese.
  std::ofstream report_file(out, std::ios::binary | std::ios::trunc);
  report_file << crm::kByteOrderMark << crm::reportCsv(*report);
  report_file.close();
  if (!report_file) {
    // The customers are in; only the list of rejected rows is lost.
    std::printf("%s (report not written)\n", summary.c_str());
    std::fprintf(stderr, "ting: cannot write the report %s\n", out.string().c_str());
    return 1;
  }
  std::printf("%s (report: %s)\n", summary.c_str(), out.string().c_str());
  return 0;
}

int runExport(const Config& config, const CommandLine& cl) {
  namespace fs = std::filesystem;
  using namespace ting;
  if (cl.positional.size() != 3 || cl.positional[1] != "customers") {
    std::fputs(kExportHelp, stderr);
    return 2;
  }
  const std::string& file = cl.positional[2];
  const bool to_stdout = file == "-";
  crm::ExportOptions options;
  if (auto it = cl.options.find("--tag"); it != cl.options.end()) options.filter.tag = it->second;
  if (auto it = cl.options.find("--search"); it != cl.options.end()) options.filter.q = it->second;
  if (auto it = cl.options.find("--vip"); it != cl.options.end()) {
    if (it->second == "yes" || it->second == "true") {
      options.filter.vip = true;
    } else if (it->second == "no" || it->second == "false") {
      options.filter.vip = false;
    } else {
      std::fprintf(stderr, "ting: --vip takes yes or no, not '%s'\n", it->second.c_str());
      return 2;
    }
  }
  auto opened = openTenant(config, cl);
  if (!opened.isOk()) return fail(opened.status());
  store::Store& st = opened->first->store();
  const identity::Tenant& tenant = opened->second;
  const store::Actor actor{tenant.id, 0, "cli", "cli"};
  if (auto it = cl.options.find("--owner"); it != cl.options.end()) {
    Status s = st.read([&](store::Session& session) -> Status {
      TING_ASSIGN_OR_RETURN(options.filter.owner_id,
                            crm::findOwner(session, tenant.id, it->second));
      return Status::ok();
    });
    if (!s.isOk()) return fail(s);
  }
  std::size_t shown = 0;
  options.progress = [&shown](std::size_t done, std::size_t total) {
    if (done < shown + 10'000 && done < total) return;
    shown = done;
    std::fprintf(stderr, "%zu customers (%zu%%)\n", done, total == 0 ? 100 : done * 100 / total);
  };
  // Written beside the destination, then renamed over it: a reader never
  // sees half a file, and a failed export leaves none.
  const fs::path dest(file);
  const fs::path part = dest.string() + ".part";
  Result<std::size_t> rows = std::size_t{0};
  if (to_stdout) {
    rows = crm::exportCustomers(st, tenant.id, options, std::cout);
  } else {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    if (!out) {
      std::fprintf(stderr, "ting: cannot write %s\n", part.string().c_str());
      return 1;
    }
    rows = crm::exportCustomers(st, tenant.id, options, out);
    out.close();
    if (rows.isOk() && !out) rows = unavailable("the export file cannot be written");
  }
  // On the record before the file is there to take away.
  if (rows.isOk()) {
    Status audited = crm::auditExport(st, actor, options.filter, *rows);
    if (!audited.isOk()) rows = audited;
  }
  if (!to_stdout) {
    std::error_code ec;
    if (rows.isOk()) fs::rename(part, dest, ec);
    if (ec)
      rows = unavailable("cannot rename " + part.string() + " to " + file + ": " + ec.message());
    if (!rows.isOk()) fs::remove(part, ec);
  }
  if (!rows.isOk()) {
    std::fprintf(stderr, "ting: %s: %s\n", file.c_str(), rows.status().message().c_str());
    return 1;
  }
  std::fprintf(to_stdout ? stderr : stdout, "exported %zu (file: %s)\n", *rows, file.c_str());
  return 0;
}

int runIvr(const CommandLine& cl) {
  if (cl.positional.size() != 3 || cl.positional[1] != "validate") {
    std::fputs(kIvrHelp, stderr);
    return 2;
  }
  const std::string& file = cl.positional[2];
  std::string text;
  // One byte more than a flow may have, so that the size check reports it.
  const std::size_t limit = ting::ivr::kMaxFlowBytes + 1;
  if (file == "-") {
    std::istreambuf_iterator<char> it(std::cin), end;
    for (; it != end && text.size() < limit; ++it) text += *it;
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      std::fprintf(stderr, "ting: cannot read %s: %s\n", file.c_str(),
                   std::filesystem::exists(file, ec) ? "not a file" : "no such file");
      return 2;
    }
    std::ifstream in(file, std::ios::binary);
    text.resize(limit);
    in.read(text.data(), static_cast<std::streamsize>(limit));
    if (in.bad() || (!in && !in.eof())) {
      std::fprintf(stderr, "ting: cannot read %s\n", file.c_str());
      return 2;
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
  }
  std::vector<ting::ivr::FlowError> errors;
  auto flow = ting::ivr::compileFlow(text, {}, &errors);
  if (flow.isOk()) {
    std::printf("ok: %zu nodes\n", (*flow)->nodes.size());
    return 0;
  }
  for (const auto& e : errors) {
    if (e.node.empty()) {
      std::printf("flow: %s\n", e.describe().c_str());
    } else {
      std::printf("node %s: %s\n", ting::ivr::printable(e.node).c_str(), e.describe().c_str());
    }
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl;
  std::string error;
  if (!parseArgs(argc, argv, cl, error)) {
    std::fprintf(stderr, "ting: %s\n", error.c_str());
    return 2;
  }
  const std::string command = cl.positional.empty() ? "" : cl.positional[0];
  if (command.empty() || command == "help") {
    if (cl.positional.size() > 1 && cl.positional[1] == "config") {
      std::fputs(ting::configReference().c_str(), stdout);
      return 0;
    }
    std::fputs(kUsage, stdout);
    return command.empty() && !cl.help ? 2 : 0;
  }
  const std::map<std::string, const char*> help = {
      {"serve", kServeHelp},   {"migrate", kMigrateHelp}, {"user", kUserHelp},
      {"backup", kBackupHelp}, {"ivr", kIvrHelp},         {"version", kVersionHelp},
      {"import", kImportHelp}, {"export", kExportHelp}};
  auto h = help.find(command);
  if (h == help.end()) {
    std::fprintf(stderr, "ting: unknown command '%s' (see ting --help)\n", command.c_str());
    return 2;
  }
  if (cl.help) {
    std::fputs(h->second, stdout);
    std::fputs("\nOptions: see ting --help.\n", stdout);
    return 0;
  }
  if (command == "version") {
    std::printf("ting %s\n", TING_VERSION);
    return 0;
  }
  if (command == "ivr") return runIvr(cl);  // needs no configuration or data
  Config config;
  Status s = loadConfig(cl, config);
  if (!s.isOk()) return fail(s);
  s = ting::initLogging(config.log_level, config.log_format);
  if (!s.isOk()) return fail(s);
  if (command == "serve") return runServe(config);
  if (command == "migrate") return runMigrate(config);
  if (command == "user") return runUser(config, cl);
  if (command == "import") return runImport(config, cl);
  if (command == "export") return runExport(config, cl);
  return runBackup(config, cl);
}
