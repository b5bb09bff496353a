#include "common/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/crypto.h"

namespace ting {

namespace {

constexpr std::size_t kNonceSize = crypto_secretbox_NONCEBYTES;
constexpr std::size_t kMacSize = crypto_secretbox_MACBYTES;
constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

std::string errnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads the whole key file; kNotFound when it does not exist.
Result<std::string> readKeyFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return notFound("no key file " + path.string());
    return internalError(errnoText("cannot open", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return internalError(errnoText("cannot stat", path));
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("{} is accessible to group or others; it should have mode 0600", path.string());
  }
  std::string bytes;
  char buf[64];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      sodium_memzero(buf, sizeof buf);
      return internalError(errnoText("cannot read", path));
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
    if (bytes.size() > SecretKey::kSize) break;
  }
  sodium_memzero(buf, sizeof buf);
  return bytes;
}

// Writes a new key under a temporary name and links it to `path`; an
// existing `path` (another process was first) is left alone.
Status writeNewKeyFile(const std::filesystem::path& path, const SecretKey& key) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return internalError(errnoText("cannot create", tmp));
    std::size_t done = 0;
    while (done < SecretKey::kSize) {
      ssize_t n = ::write(fd.get(), key.data() + done, SecretKey::kSize - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Status failed = internalError(errnoText("cannot write", tmp));
        ::unlink(tmp.c_str());
        return failed;
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      Status failed = internalError(errnoText("cannot sync", tmp));
      ::unlink(tmp.c_str());
      return failed;
    }
  }
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    return internalError(errnoText("cannot create", path));
  }
  Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  return Status::ok();
}

}  // namespace

SecretKey SecretKey::generate() {
  SecretKey key;
  crypto_secretbox_keygen(key.bytes_.data());
  return key;
}

Result<SecretKey> SecretKey::fromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return invalidArgument("a secret key is " + std::to_string(kSize) + " bytes, not " +
                           std::to_string(bytes.size()));
  }
  SecretKey key;
  std::memcpy(key.bytes_.data(), bytes.data(), kSize);
  return key;
}

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

Result<std::string> sealSecret(const SecretKey& key, std::string_view plain) {
  TING_RETURN_IF_ERROR(initCrypto());
  std::vector<unsigned char> box(kNonceSize + kMacSize + plain.size());
  randombytes_buf(box.data(), kNonceSize);
  if (crypto_secretbox_easy(box.data() + kNonceSize,
                            reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                            box.data(), key.data()) != 0) {
    return internalError("crypto_secretbox_easy failed");
  }
  std::string out(sodium_base64_encoded_len(box.size(), kBase64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), box.data(), box.size(), kBase64Variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> openSecret(const SecretKey& key, std::string_view sealed) {
  TING_RETURN_IF_ERROR(initCrypto());
  if (sealed.empty()) return invalidArgument("a sealed secret must be base64");
  std::vector<unsigned char> box(sealed.size());
  std::size_t len = 0;
  if (sodium_base642bin(box.data(), box.size(), sealed.data(), sealed.size(), nullptr, &len,
                        nullptr, kBase64Variant) != 0) {
    return invalidArgument("a sealed secret must be base64");
  }
  if (len < kNonceSize + kMacSize) return invalidArgument("a sealed secret is too short");
  std::string plain(len - kNonceSize - kMacSize, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 box.data() + kNonceSize, len - kNonceSize, box.data(),
                                 key.data()) != 0) {
    return invalidValue("the sealed secret does not open with this key (wrong key or altered)");
  }
  return plain;
}

Result<SecretKey> loadOrCreateSecretKey(const std::filesystem::path& data_dir) {
  TING_RETURN_IF_ERROR(initCrypto());
  const std::filesystem::path dir = data_dir / "keys";
  const std::filesystem::path path = dir / "secret.key";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return internalError(errnoText("cannot create", dir));
  }
  auto bytes = readKeyFile(path);
  if (!bytes && bytes.status().code() == StatusCode::kNotFound) {
    SecretKey fresh = SecretKey::generate();
    TING_RETURN_IF_ERROR(writeNewKeyFile(path, fresh));
    spdlog::info("created the secret key {}", path.string());
    bytes = readKeyFile(path);  // another process may have won the race: use its key
  }
  if (!bytes) return bytes.status();
  auto key = SecretKey::fromBytes(*bytes);
  sodium_memzero(bytes->data(), bytes->size());
  if (!key) return internalError(path.string() + ": " + key.status().message());
  return key;
}

}  // namespace ting
