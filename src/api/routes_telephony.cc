// Telephony settings of the caller's tenant: SIP trunks (their secrets sealed
// at rest), phones' SIP passwords, and uploaded prompt recordings. Changes
// reach the running SIP side by reloading its directory.

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <cstring>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/list_params.h"
#include "api/telephony_fields.h"
#include "identity/users.h"
#include "ivr/validate.h"
#include "sip/digest.h"
#include "tts/prompt_cache.h"
#include "tts/prompt_key.h"

namespace ting::api {

using identity::Role;

Response applyChange(const std::function<Status()>& reload, Response done, std::string_view what,
                     const Call& call) {
  if (!reload) return done;
  Status s = reload();
  if (s.isOk()) return done;
  spdlog::error("req={} {} {}: saved, but reloading {} failed: {}", call.request.request_id,
                call.request.method, call.request.target, what, s.message());
  return errorResponse(500, "reload_failed",
                       "the change is saved but not yet in effect: reloading " + std::string(what) +
                           " failed (see the server log); retry");
}

namespace {

// ---- trunks

const ListSpec kTrunkList{
    .sortable = {{"name", "name"}, {"created_at", "created_at"}},
    .default_sort = "name",
    .filters = {},
};

constexpr const char* kTrunkColumns =
    "id, name, inbound_address, outbound_uri, username, secret_enc, caller_id, enabled, "
    "created_at, updated_at";

struct Trunk {
  std::int64_t id = 0;
  std::string name, inbound_address, outbound_uri, username, secret_enc, caller_id;
  bool enabled = true;
  UnixMillis created_at = 0, updated_at = 0;
};

Trunk trunkFromRow(const store::Row& r) {
  return {r.integer(0), r.text(1), r.text(2),         r.text(3),    r.text(4),
          r.text(5),    r.text(6), r.integer(7) != 0, r.integer(8), r.integer(9)};
}

boost::json::value textOrNull(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

// The trunk as the API and the audit log show it: never the secret.
boost::json::object trunkJson(const Trunk& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"inbound_address", textOrNull(t.inbound_address)},
          {"outbound_uri", textOrNull(t.outbound_uri)},
          {"username", textOrNull(t.username)},
          {"has_secret", !t.secret_enc.empty()},
          {"caller_id", textOrNull(t.caller_id)},
          {"enabled", t.enabled},
          {"created_at", formatTimestamp(t.created_at)},
          {"updated_at", formatTimestamp(t.updated_at)}};
}

struct TrunkFields {
  std::optional<std::string> name, inbound_address, outbound_uri, username, secret, caller_id;
  std::optional<bool> enabled;
};

TrunkFields readTrunkFields(JsonBody& body, bool create) {
  TrunkFields f;
  f.name = body.string("name", create, 64);
  f.inbound_address = body.string("inbound_address", false, 64);
  f.outbound_uri = body.string("outbound_uri", false, 256);
  f.username = body.string("username", false, 128);
  f.secret = body.string("secret", false, 256);
  f.caller_id = body.string("caller_id", false, 32);
  f.enabled = body.boolean("enabled");
  return f;
}

const std::vector<FieldDoc> kTrunkFieldDocs = {
    {"name", "string", true, "Unique in the tenant, 1-64 characters."},
    {"inbound_address", "string", false,
     "IPv4 address or network (/8 to /32) calls from this trunk come from."},
    {"outbound_uri", "string", false, "sip: or sips: URI to send calls to."},
    {"username", "string", false, "For digest authentication towards the trunk."},
    {"secret", "string", false, "Write-only; stored encrypted, never returned (has_secret)."},
    {"caller_id", "string", false, "Number presented on outbound calls."},
    {"enabled", "boolean", false, "Default true."}};

bool hasControlOrSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

// Applies `f` to `t`, validating each field; seals a new secret.
Status applyTrunkFields(ApiContext& ctx, const TrunkFields& f, Trunk& t) {
  if (f.name) {
    if (f.name->empty() || std::any_of(f.name->begin(), f.name->end(), [](char c) {
          return static_cast<unsigned char>(c) < ' ' || c == 0x7f;
        })) {
      return invalidValue("'name' must be 1 to 64 bytes without control characters", "name");
    }
    t.name = *f.name;
  }
  if (f.inbound_address) {
    if (!f.inbound_address->empty()) {
      std::uint32_t net = 0;
      int prefix = 0;
      TING_RETURN_IF_ERROR(checkInboundAddress(*f.inbound_address, "inbound_address", net, prefix));
    }
    t.inbound_address = *f.inbound_address;
  }
  if (f.outbound_uri) {
    if (!f.outbound_uri->empty())
      TING_RETURN_IF_ERROR(checkSipUri(*f.outbound_uri, "outbound_uri"));
    t.outbound_uri = *f.outbound_uri;
  }
  if (f.username) {
    if (hasControlOrSpace(*f.username)) {
      return invalidValue("'username' may not hold spaces or control characters", "username");
    }
    t.username = *f.username;
  }
  if (f.caller_id) {
    if (!f.caller_id->empty() && !isDialNumber(*f.caller_id)) {
      return invalidValue("'caller_id' is 1 to 32 digits, optionally after a '+'", "caller_id");
    }
    t.caller_id = *f.caller_id;
  }
  if (f.enabled) t.enabled = *f.enabled;
  if (t.inbound_address.empty() && t.outbound_uri.empty()) {
    return invalidValue("a trunk needs an inbound_address, an outbound_uri or both",
                        f.inbound_address ? "inbound_address" : "outbound_uri");
  }
  if (f.secret) {
    if (f.secret->empty()) {
      t.secret_enc.clear();
    } else {
      if (!ctx.secret_key) return internalError("no secret key: trunk secrets cannot be stored");
      TING_ASSIGN_OR_RETURN(t.secret_enc, sealSecret(*ctx.secret_key, *f.secret));
    }
  }
  return Status::ok();
}

// A trunk of another tenant whose inbound network overlaps `t`'s would make
// calls from the shared addresses land in the wrong tenant: refused.
Status checkInboundAddressFree(store::Session& s, std::int64_t tenant_id, const Trunk& t) {
  if (t.inbound_address.empty()) return Status::ok();
  std::uint32_t net = 0;
  int prefix = 0;
  TING_RETURN_IF_ERROR(checkInboundAddress(t.inbound_address, "inbound_address", net, prefix));
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT inbound_address FROM trunks WHERE tenant_id <> ? AND "
                                "inbound_address IS NOT NULL",
                                {tenant_id}));
  for (const auto& r : rows) {
    std::uint32_t other = 0;
    int other_prefix = 0;
    if (!checkInboundAddress(r.text(0), "inbound_address", other, other_prefix).isOk()) continue;
    if (networksOverlap(net, prefix, other, other_prefix)) {
      return conflict("the inbound address overlaps a trunk of another tenant", "inbound_address");
    }
  }
  return Status::ok();
}

Result<Trunk> findTrunk(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  auto row = s.queryOne(
      std::string("SELECT ") + kTrunkColumns + " FROM trunks WHERE tenant_id = ? AND id = ?",
      {tenant_id, id});
  if (!row) {
    if (row.status().code() == StatusCode::kNotFound) return notFound("no such trunk");
    return row.status();
  }
  return trunkFromRow(*row);
}

Status mapTrunkConflict(const Status& s) {
  if (s.code() != StatusCode::kConflict) return s;
  return conflict("a trunk of that name already exists", "name");
}

boost::json::object auditJson(const Trunk& t, bool secret_changed) {
  boost::json::object o = trunkJson(t);
  if (secret_changed) o["secret_changed"] = true;
  return o;
}

// ---- prompts

// Uploads are at most this large; decoded they must also fit
// tts::AudioLimits (10 minutes).
constexpr std::size_t kMaxPromptUploadBytes = 20 << 20;

const ListSpec kPromptList{
    .sortable = {{"name", "name"}},
    .default_sort = "name",
    .filters = {},
};

// `pcm` as a 16-bit mono 8 kHz WAV file.
std::string wav8k(const tts::Pcm& pcm) {
  auto le16 = [](std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
  };
  auto le32 = [](std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto data_bytes = static_cast<std::uint32_t>(pcm.size() * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  le32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  le32(out, 16);
  le16(out, 1);  // PCM
  le16(out, 1);  // mono
  le32(out, tts::kTelephoneRate);
  le32(out, tts::kTelephoneRate * 2);
  le16(out, 2);
  le16(out, 16);
  out += "data";
  le32(out, data_bytes);
  for (std::int16_t s : pcm) le16(out, static_cast<std::uint16_t>(s));
  return out;
}

// Names of the tenant's flows whose current version plays recording `name`.
Result<std::vector<std::string>> flowsPlaying(ApiContext& ctx, std::int64_t tenant_id,
                                              const std::string& name) {
  std::vector<std::pair<std::string, std::string>> flows;  // name, document
  TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(
        store::Rows rows,
        s.query("SELECT f.name, v.document FROM ivr_flows f JOIN ivr_flow_versions v ON "
                "v.flow_id = f.id AND v.version = f.current_version WHERE f.tenant_id = ? "
                "ORDER BY f.name",
                {tenant_id}));
    for (const auto& r : rows) flows.emplace_back(r.text(0), r.text(1));
    return Status::ok();
  }));
  std::vector<std::string> users;
  for (const auto& [flow, document] : flows) {
    bool plays = false;
    // The validator asks about every recording the flow plays.
    ivr::ValidateOptions options;
    options.prompt_exists = [&](std::string_view file) {
      if (file == name) plays = true;
      return true;
    };
    (void)ivr::compileFlow(document, options);
    if (plays) users.push_back(flow);
  }
  return users;
}

Status needPrompts(const ApiContext& ctx) {
  if (!ctx.prompts) return unavailable("prompt storage is not running");
  return Status::ok();
}

}  // namespace

void addTelephonyRoutes(Router& router, ApiContext& ctx) {
  const identity::RoleSet admins{Role::kAdmin};
  const identity::RoleSet readers{Role::kAdmin, Role::kSupervisor};

  router.add({"GET",
              "/api/v1/trunks",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kTrunkList));
                store::PageQuery q{.table = "trunks",
                                   .columns = kTrunkColumns,
                                   .tenant_id = call.principal->tenant_id};
                return pageResponse(ctx.store, q, params, [](const store::Row& row) {
                  return trunkJson(trunkFromRow(row));
                });
              },
              {.summary = "SIP trunks of your tenant (secrets are never shown: has_secret).",
               .tag = "telephony",
               .query = listQueryDocs(kTrunkList)}});

  router.add(
      {"POST",
       "/api/v1/trunks",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         JsonBody body(call.request.body);
         TrunkFields f = readTrunkFields(body, true);
         TING_RETURN_IF_ERROR(body.finish());
         Trunk t;
         TING_RETURN_IF_ERROR(applyTrunkFields(ctx, f, t));
         const std::int64_t tenant = call.principal->tenant_id;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_RETURN_IF_ERROR(checkInboundAddressFree(tx.session(), tenant, t));
           t.created_at = t.updated_at = tx.now();
           auto row = tx.session().queryOne(
               "INSERT INTO trunks (tenant_id, name, inbound_address, outbound_uri, username, "
               "secret_enc, caller_id, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, "
               "?, ?, ?, ?, ?) RETURNING id",
               {tenant, t.name, store::textOrNull(t.inbound_address),
                store::textOrNull(t.outbound_uri), store::textOrNull(t.username),
                store::textOrNull(t.secret_enc), store::textOrNull(t.caller_id),
                std::int64_t{t.enabled}, t.created_at, t.updated_at});
           if (!row) return mapTrunkConflict(row.status());
           t.id = row->integer(0);
           return tx.audit({.entity = "trunk",
                            .entity_id = std::to_string(t.id),
                            .action = "create",
                            .after_json = boost::json::serialize(auditJson(t, !!f.secret)),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_sip_directory, jsonResponse(trunkJson(t), 201),
                            "the SIP directory", call);
       },
       {.summary = "Add a SIP trunk.",
        .tag = "telephony",
        .body = kTrunkFieldDocs,
        .success_status = 201,
        .success_description = "Created"}});

  router.add({"GET",
              "/api/v1/trunks/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                Trunk t;
                TING_RETURN_IF_ERROR(ctx.store.read([&](store::Session& s) -> Status {
                  TING_ASSIGN_OR_RETURN(t, findTrunk(s, call.principal->tenant_id, id));
                  return Status::ok();
                }));
                return jsonResponse(trunkJson(t));
              },
              {.summary = "One SIP trunk.", .tag = "telephony"}});

  std::vector<FieldDoc> patch_docs = kTrunkFieldDocs;
  patch_docs.front().required = false;
  router.add(
      {"PATCH",
       "/api/v1/trunks/{id}",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         JsonBody body(call.request.body);
         TrunkFields f = readTrunkFields(body, false);
         TING_RETURN_IF_ERROR(body.finish());
         const std::int64_t tenant = call.principal->tenant_id;
         Trunk t;
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           TING_ASSIGN_OR_RETURN(Trunk before, findTrunk(tx.session(), tenant, id));
           t = before;
           TING_RETURN_IF_ERROR(applyTrunkFields(ctx, f, t));
           TING_RETURN_IF_ERROR(checkInboundAddressFree(tx.session(), tenant, t));
           t.updated_at = tx.now();
           TING_RETURN_IF_ERROR(mapTrunkConflict(tx.session().exec(
               "UPDATE trunks SET name = ?, inbound_address = ?, outbound_uri = ?, username = ?, "
               "secret_enc = ?, caller_id = ?, enabled = ?, updated_at = ? WHERE tenant_id = ? "
               "AND id = ?",
               {t.name, store::textOrNull(t.inbound_address), store::textOrNull(t.outbound_uri),
                store::textOrNull(t.username), store::textOrNull(t.secret_enc),
                store::textOrNull(t.caller_id), std::int64_t{t.enabled}, t.updated_at, tenant,
                id})));
           return tx.audit({.entity = "trunk",
                            .entity_id = std::to_string(id),
                            .action = "update",
                            .before_json = boost::json::serialize(trunkJson(before)),
                            .after_json = boost::json::serialize(auditJson(t, !!f.secret)),
                            .tenant_id = tenant});
         }));
         return applyChange(ctx.reload_sip_directory, jsonResponse(trunkJson(t)),
                            "the SIP directory", call);
       },
       {.summary = "Change a SIP trunk; null or \"\" clears an optional field (secret included).",
        .tag = "telephony",
        .body = patch_docs}});

  router.add({"DELETE",
              "/api/v1/trunks/{id}",
              Access::kAuthenticated,
              admins,
              [&ctx](Call& call) -> Result<Response> {
                TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
                const std::int64_t tenant = call.principal->tenant_id;
                TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
                  TING_ASSIGN_OR_RETURN(Trunk before, findTrunk(tx.session(), tenant, id));
                  TING_RETURN_IF_ERROR(tx.session().exec(
                      "DELETE FROM trunks WHERE tenant_id = ? AND id = ?", {tenant, id}));
                  return tx.audit({.entity = "trunk",
                                   .entity_id = std::to_string(id),
                                   .action = "delete",
                                   .before_json = boost::json::serialize(trunkJson(before)),
                                   .tenant_id = tenant});
                }));
                return applyChange(ctx.reload_sip_directory, noContent(), "the SIP directory",
                                   call);
              },
              {.summary = "Remove a SIP trunk.",
               .tag = "telephony",
               .success_status = 204,
               .success_description = "Deleted"}});

  router.add(
      {"PUT",
       "/api/v1/users/{id}/sip-password",
       Access::kAuthenticated,
       {Role::kAgent, Role::kTeamLead, Role::kQaInspector, Role::kSupervisor, Role::kAdmin,
        Role::kDepartment},
       [&ctx](Call& call) -> Result<Response> {
         TING_ASSIGN_OR_RETURN(std::int64_t id, call.pathId(0));
         const identity::Principal& p = *call.principal;
         if (p.role != Role::kAdmin && id != p.user_id) {
           return Status(StatusCode::kPermissionDenied,
                         "only an admin may set another user's SIP password");
         }
         JsonBody body(call.request.body);
         auto password = body.string("password", kRequired, 256);
         TING_RETURN_IF_ERROR(body.finish());
         TING_RETURN_IF_ERROR(identity::validatePassword(*password));
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           auto row = tx.session().queryOne(
               "SELECT u.sip_extension, t.sip_domain FROM users u JOIN tenants t ON t.id = "
               "u.tenant_id WHERE u.tenant_id = ? AND u.id = ?",
               {p.tenant_id, id});
           if (!row) {
             if (row.status().code() == StatusCode::kNotFound) return notFound("no such user");
             return row.status();
           }
           if (row->isNull(1)) {
             return invalidValue("your tenant has no SIP domain yet; the operator sets one");
           }
           if (row->isNull(0)) {
             return invalidValue(
                 "the user has no SIP extension; an admin sets sip_extension first");
           }
           const std::string extension = row->text(0);
           TING_RETURN_IF_ERROR(tx.session().exec(
               "UPDATE users SET sip_ha1 = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
               {sip::digestHa1(extension, row->text(1), *password), tx.now(), p.tenant_id, id}));
           return tx.audit({.entity = "user",
                            .entity_id = std::to_string(id),
                            .action = "sip_password",
                            .after_json = boost::json::serialize(boost::json::object{
                                {"sip_extension", extension}, {"sip_password_changed", true}}),
                            .tenant_id = p.tenant_id});
         }));
         return applyChange(ctx.reload_sip_directory, noContent(), "the SIP directory", call);
       },
       {.summary = "Set the password a user's phone registers with (admins: anyone in the "
                   "tenant; others: themselves). Only the digest HA1 is stored.",
        .tag = "telephony",
        .body = {{"password", "string", true, "At least 8 characters."}},
        .success_status = 204,
        .success_description = "Set"}});

  router.add({"GET",
              "/api/v1/prompts",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_RETURN_IF_ERROR(needPrompts(ctx));
                TING_ASSIGN_OR_RETURN(ListParams params, parseListParams(call, kPromptList));
                std::vector<std::string> names =
                    ctx.prompts->listUploads(call.principal->tenant_id);
                if (params.page.descending) std::reverse(names.begin(), names.end());
                store::Page page;
                for (const auto& name : names) {
                  if (params.page.after) {
                    const auto* after = std::get_if<std::string>(&params.page.after->first);
                    if (!after) break;
                    if (params.page.descending ? name >= *after : name <= *after) continue;
                  }
                  if (page.rows.size() == static_cast<std::size_t>(params.page.limit)) {
                    page.has_more = true;
                    break;
                  }
                  page.rows.emplace_back(std::vector<store::Value>{std::int64_t{0}, name});
                  page.sort_values.emplace_back(name);
                }
                boost::json::array items;
                for (const auto& row : page.rows)
                  items.push_back(boost::json::object{{"name", row.text(1)}});
                return listResponse(std::move(items), page, params);
              },
              {.summary = "Recordings uploaded by your tenant, for {\"file\": name} prompts.",
               .tag = "telephony",
               .query = listQueryDocs(kPromptList)}});

  router.add(
      {"PUT",
       "/api/v1/prompts/{name}",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         TING_RETURN_IF_ERROR(needPrompts(ctx));
         const std::string& name = call.path_params.at(0);
         if (!tts::validUploadName(name)) {
           return invalidValue("a recording name is 1 to 64 characters of A-Z a-z 0-9 _ -", "name");
         }
         const std::string& bytes = call.request.body;
         if (bytes.empty()) {
           return invalidValue("the body is empty: send the recording (WAV, FLAC, Ogg or MP3)")
               .withReason("invalid_audio");
         }
         const std::int64_t tenant = call.principal->tenant_id;
         const bool existed = ctx.prompts->uploadExists(tenant, name);
         // Decoding takes a while: done before the write transaction, so
         // other writers do not wait for it.
         Status stored = ctx.prompts->storeUpload(
             tenant, name, {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
         if (stored.code() == StatusCode::kInvalidArgument) {
           return invalidValue("the body is not a recording Ting can play: " + stored.message())
               .withReason("invalid_audio");
         }
         TING_RETURN_IF_ERROR(stored);
         boost::json::object out{{"name", name}};
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           return tx.audit({.entity = "prompt",
                            .entity_id = name,
                            .action = existed ? "update" : "create",
                            .after_json = boost::json::serialize(boost::json::object{
                                {"name", name}, {"uploaded_bytes", bytes.size()}}),
                            .tenant_id = tenant});
         }));
         return jsonResponse(out, existed ? 200 : 201);
       },
       {.summary = "Upload a recording (WAV, FLAC, Ogg or MP3, at most 20 MiB), stored as "
                   "8 kHz mono; replaces one of the same name (200) or adds it (201).",
        .tag = "telephony",
        .success_status = 201,
        .success_description = "Stored",
        .raw_body = "audio/*"},
       kMaxPromptUploadBytes});

  router.add({"GET",
              "/api/v1/prompts/{name}",
              Access::kAuthenticated,
              readers,
              [&ctx](Call& call) -> Result<Response> {
                TING_RETURN_IF_ERROR(needPrompts(ctx));
                const std::string& name = call.path_params.at(0);
                if (!tts::validUploadName(name)) return notFound("no such recording");
                auto pcm = ctx.prompts->getBlocking(
                    tts::PromptKey::upload(call.principal->tenant_id, name));
                if (!pcm && pcm.status().code() == StatusCode::kNotFound) {
                  return notFound("no such recording");
                }
                if (!pcm) return pcm.status();
                Response r;
                r.content_type = "audio/wav";
                r.body = wav8k(**pcm);
                return r;
              },
              {.summary = "A recording as stored: 16-bit mono 8 kHz WAV.",
               .tag = "telephony",
               .success_type = "audio/wav"}});

  router.add(
      {"DELETE",
       "/api/v1/prompts/{name}",
       Access::kAuthenticated,
       admins,
       [&ctx](Call& call) -> Result<Response> {
         TING_RETURN_IF_ERROR(needPrompts(ctx));
         const std::string& name = call.path_params.at(0);
         if (!tts::validUploadName(name)) return notFound("no such recording");
         const std::int64_t tenant = call.principal->tenant_id;
         if (!ctx.prompts->uploadExists(tenant, name)) return notFound("no such recording");
         TING_ASSIGN_OR_RETURN(auto flows, flowsPlaying(ctx, tenant, name));
         if (!flows.empty()) {
           std::string list;
           for (const auto& f : flows) list += (list.empty() ? "" : ", ") + f;
           return conflict("the recording is played by the current version of: " + list +
                           "; publish them without it first");
         }
         Status deleted = ctx.prompts->deleteUpload(tenant, name);
         if (deleted.code() == StatusCode::kNotFound) return notFound("no such recording");
         TING_RETURN_IF_ERROR(deleted);
         TING_RETURN_IF_ERROR(ctx.store.write(call.actor(), [&](store::Tx& tx) -> Status {
           return tx.audit(
               {.entity = "prompt",
                .entity_id = name,
                .action = "delete",
                .before_json = boost::json::serialize(boost::json::object{{"name", name}}),
                .tenant_id = tenant});
         }));
         return noContent();
       },
       {.summary = "Delete a recording; refused (409) while a flow's current version plays it.",
        .tag = "telephony",
        .success_status = 204,
        .success_description = "Deleted"}});
}

}  // namespace ting::api
