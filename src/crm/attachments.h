#pragma once
// Images attached to a customer's card (a photo of the faulty device, a
// receipt): PNG, JPEG, GIF or WebP, recognized by their content, at most
// kMaxAttachmentBytes. Files live under <data>/attachments/<tenant>/ under a
// random name; the name the user gave is kept only as data.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "store/store.h"

namespace ting::crm {

inline constexpr std::size_t kMaxAttachmentBytes = 10u << 20;
inline constexpr std::size_t kMaxAttachmentsPerCustomer = 50;

struct Attachment {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t customer_id = 0;
  std::string file_name;
  std::string content_type;
  std::int64_t size = 0;
  std::string sha256;
  std::string stored_as;  // relative to <data>/attachments
  std::optional<std::int64_t> created_by;
  UnixMillis created_at = 0;
};

boost::json::object toJson(const Attachment& a);

// The image type of `bytes` by its signature: "image/png", "image/jpeg",
// "image/gif" or "image/webp"; nullopt for anything else.
std::optional<std::string> imageType(std::string_view bytes);

// Checks and stores an image for the customer: the file first (written
// whole, then renamed into place), then its row; audited. kInvalidValue
// naming `body` for what is not an image, `file_name` for a bad name.
// The file is removed again when the transaction fails (the caller calls
// discardFile with the returned path on failure).
Result<Attachment> addAttachment(store::Tx& tx, const std::string& root, std::int64_t customer_id,
                                 const std::string& file_name, std::string_view bytes);

Result<std::vector<Attachment>> listAttachments(store::Session& s, std::int64_t tenant_id,
                                                std::int64_t customer_id);
Result<Attachment> getAttachment(store::Session& s, std::int64_t tenant_id,
                                 std::int64_t customer_id, std::int64_t id);
// Deletes the row (audited); the caller removes the file after the commit.
Result<Attachment> deleteAttachment(store::Tx& tx, std::int64_t customer_id, std::int64_t id);

// The file of `stored_as` under `root`; removing a missing one is not an error.
std::string attachmentPath(const std::string& root, const std::string& stored_as);
void discardFile(const std::string& root, const std::string& stored_as);

}  // namespace ting::crm
