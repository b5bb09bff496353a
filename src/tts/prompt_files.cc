#include "tts/prompt_files.h"

#include <algorithm>
#include <system_error>

#include "tts/audio.h"
#include "tts/prompt_key.h"

namespace ting::tts {
namespace {

Status makeDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return internalError("cannot create " + dir.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

std::filesystem::path PromptFiles::speechPath(std::string_view voice, std::string_view text) const {
  return dir_ / "tts" / (speechHash(voice, text) + ".wav");
}

Result<std::filesystem::path> PromptFiles::uploadPath(std::int64_t tenant_id,
                                                      std::string_view name) const {
  if (tenant_id < 1) return invalidArgument("invalid tenant id", "tenant_id");
  if (!validUploadName(name)) {
    return invalidArgument("a recording name is 1-64 characters of A-Z a-z 0-9 _ -", "name");
  }
  return dir_ / std::to_string(tenant_id) / (std::string(name) + ".wav");
}

Result<Pcm> PromptFiles::readSpeech(std::string_view voice, std::string_view text) const {
  return readAudioFile(speechPath(voice, text));
}

Status PromptFiles::writeSpeech(std::string_view voice, std::string_view text,
                                const Pcm& pcm) const {
  const auto path = speechPath(voice, text);
  TING_RETURN_IF_ERROR(makeDirectory(path.parent_path()));
  return writeWav8k(path, pcm);
}

Status PromptFiles::storeUpload(std::int64_t tenant_id, std::string_view name,
                                std::span<const std::uint8_t> bytes) const {
  TING_ASSIGN_OR_RETURN(auto path, uploadPath(tenant_id, name));
  TING_ASSIGN_OR_RETURN(Pcm pcm, decodeAudio(bytes));
  TING_RETURN_IF_ERROR(makeDirectory(path.parent_path()));
  return writeWav8k(path, pcm);
}

Result<Pcm> PromptFiles::readUpload(std::int64_t tenant_id, std::string_view name) const {
  TING_ASSIGN_OR_RETURN(auto path, uploadPath(tenant_id, name));
  auto pcm = readAudioFile(path);
  if (!pcm && pcm.status().code() == StatusCode::kNotFound) {
    return notFound("no recording named " + std::string(name));
  }
  return pcm;
}

bool PromptFiles::uploadExists(std::int64_t tenant_id, std::string_view name) const {
  auto path = uploadPath(tenant_id, name);
  std::error_code ec;
  return path && std::filesystem::is_regular_file(*path, ec);
}

Status PromptFiles::deleteUpload(std::int64_t tenant_id, std::string_view name) const {
  TING_ASSIGN_OR_RETURN(auto path, uploadPath(tenant_id, name));
  std::error_code ec;
  if (std::filesystem::remove(path, ec)) return Status::ok();
  if (ec) return internalError("cannot delete " + path.string() + ": " + ec.message());
  return notFound("no recording named " + std::string(name));
}

std::vector<std::string> PromptFiles::listUploads(std::int64_t tenant_id) const {
  std::vector<std::string> names;
  if (tenant_id < 1) return names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_ / std::to_string(tenant_id), ec), end;
       !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    std::error_code type_ec;
    if (path.extension() != ".wav" || !it->is_regular_file(type_ec)) continue;
    std::string stem = path.stem().string();
    if (validUploadName(stem)) names.push_back(std::move(stem));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ting::tts
