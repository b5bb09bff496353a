#include "crm/attachments.h"

#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>

#include "common/crypto.h"
#include "crm/customers.h"

namespace ting::crm {

namespace {

constexpr const char* kColumns =
    "id, tenant_id, customer_id, file_name, content_type, size, sha256, stored_as, created_by, "
    "created_at";

Attachment fromRow(const store::Row& r) {
  Attachment a;
  a.id = r.integer(0);
  a.tenant_id = r.integer(1);
  a.customer_id = r.integer(2);
  a.file_name = r.text(3);
  a.content_type = r.text(4);
  a.size = r.integer(5);
  a.sha256 = r.text(6);
  a.stored_as = r.text(7);
  if (!r.isNull(8)) a.created_by = r.integer(8);
  a.created_at = r.integer(9);
  return a;
}

const char* extensionOf(const std::string& type) {
  if (type == "image/png") return ".png";
  if (type == "image/jpeg") return ".jpg";
  if (type == "image/gif") return ".gif";
  return ".webp";
}

// A name to show and offer on download: its last path segment, without
// control characters or quotes, at most 200 bytes.
Result<std::string> cleanName(const std::string& name) {
  std::string base = name;
  if (auto slash = base.find_last_of("/\\"); slash != std::string::npos) base = base.substr(slash + 1);
  std::string out;
  for (unsigned char c : base) {
    if (c < 0x20 || c == 0x7F || c == '"') continue;
    out += static_cast<char>(c);
  }
  if (out.empty() || out == "." || out == ".." || out.size() > 200) {
    return invalidValue("file_name must be 1-200 bytes of a file name", "file_name");
  }
  return out;
}

}  // namespace

boost::json::object toJson(const Attachment& a) {
  return {{"id", a.id},
          {"customer_id", a.customer_id},
          {"file_name", a.file_name},
          {"content_type", a.content_type},
          {"size", a.size},
          {"sha256", a.sha256},
          {"created_by",
           a.created_by ? boost::json::value(*a.created_by) : boost::json::value(nullptr)},
          {"created_at", formatTimestamp(a.created_at)}};
}

std::optional<std::string> imageType(std::string_view b) {
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return "image/png";
  }
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) {
    return "image/gif";
  }
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return std::nullopt;
}

std::string attachmentPath(const std::string& root, const std::string& stored_as) {
  return (std::filesystem::path(root) / stored_as).string();
}

void discardFile(const std::string& root, const std::string& stored_as) {
  std::error_code ec;
  std::filesystem::remove(attachmentPath(root, stored_as), ec);
}

Result<Attachment> addAttachment(store::Tx& tx, const std::string& root, std::int64_t customer_id,
                                 const std::string& file_name, std::string_view bytes) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_RETURN_IF_ERROR(getCustomer(tx.session(), tenant, customer_id).status());
  Attachment a;
  TING_ASSIGN_OR_RETURN(a.file_name, cleanName(file_name));
  if (bytes.empty()) return invalidValue("the body is empty: send the image", "body");
  if (bytes.size() > kMaxAttachmentBytes) {
    return invalidValue("an attachment is at most 10 MiB", "body");
  }
  auto type = imageType(bytes);
  if (!type) return invalidValue("the body is not a PNG, JPEG, GIF or WebP image", "body");
  TING_ASSIGN_OR_RETURN(auto count, tx.session().query("SELECT COUNT(*) FROM customer_attachments "
                                                       "WHERE tenant_id = ? AND customer_id = ?",
                                                       {tenant, customer_id}));
  if (!count.empty() && count[0].integer(0) >= static_cast<std::int64_t>(kMaxAttachmentsPerCustomer)) {
    return conflict("a customer has at most 50 attachments; delete some first");
  }
  a.tenant_id = tenant;
  a.customer_id = customer_id;
  a.content_type = *type;
  a.size = static_cast<std::int64_t>(bytes.size());
  a.sha256 = sha256Hex(bytes);
  a.stored_as = std::to_string(tenant) + "/" + randomPassword(24) + extensionOf(*type);
  if (tx.actor().user_id) a.created_by = tx.actor().user_id;
  a.created_at = tx.now();

  namespace fs = std::filesystem;
  const fs::path path = attachmentPath(root, a.stored_as);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path partial = path.string() + ".part";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      fs::remove(partial, ec);
      return unavailable("the attachment cannot be stored: the disk refused it");
    }
  }
  fs::rename(partial, path, ec);
  if (ec) {
    fs::remove(partial, ec);
    return unavailable("the attachment cannot be stored: " + ec.message());
  }
  auto row = tx.session().queryOne(
      "INSERT INTO customer_attachments (tenant_id, customer_id, file_name, content_type, size, "
      "sha256, stored_as, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {tenant, customer_id, a.file_name, a.content_type, a.size, a.sha256, a.stored_as,
       store::intOrNull(a.created_by), a.created_at});
  if (!row.isOk()) {
    discardFile(root, a.stored_as);
    return row.status();
  }
  a.id = row->integer(0);
  Status audited = tx.audit({.entity = "customer",
                             .entity_id = std::to_string(customer_id),
                             .action = "attach",
                             .after_json = boost::json::serialize(toJson(a))});
  if (!audited.isOk()) {
    discardFile(root, a.stored_as);
    return audited;
  }
  return a;
}

Result<std::vector<Attachment>> listAttachments(store::Session& s, std::int64_t tenant_id,
                                                std::int64_t customer_id) {
  TING_RETURN_IF_ERROR(getCustomer(s, tenant_id, customer_id).status());
  TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + kColumns +
                                               " FROM customer_attachments WHERE tenant_id = ? "
                                               "AND customer_id = ? ORDER BY id",
                                           {tenant_id, customer_id}));
  std::vector<Attachment> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

Result<Attachment> getAttachment(store::Session& s, std::int64_t tenant_id,
                                 std::int64_t customer_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + kColumns +
                                               " FROM customer_attachments WHERE tenant_id = ? "
                                               "AND customer_id = ? AND id = ?",
                                           {tenant_id, customer_id, id}));
  if (rows.empty()) return notFound("no such attachment");
  return fromRow(rows[0]);
}

Result<Attachment> deleteAttachment(store::Tx& tx, std::int64_t customer_id, std::int64_t id) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(Attachment a, getAttachment(tx.session(), tenant, customer_id, id));
  TING_RETURN_IF_ERROR(tx.session().exec(
      "DELETE FROM customer_attachments WHERE tenant_id = ? AND id = ?", {tenant, id}));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "customer",
                                 .entity_id = std::to_string(customer_id),
                                 .action = "detach",
                                 .before_json = boost::json::serialize(toJson(a))}));
  return a;
}

}  // namespace ting::crm
