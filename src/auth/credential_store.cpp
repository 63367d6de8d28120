#include <oras/auth/credential_store.hpp>
#include <oras/detail/base64.hpp>

#include "auth/helper_protocol.hpp"
#include "core/json_writer.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace oras::auth {
namespace {

namespace fs = std::filesystem;

// Same cap as docker_config::parse applies.
constexpr std::size_t max_config_size = 16 * 1024 * 1024;

failure not_logged_in(std::string_view registry) {
    return make_failure(errc::not_found, "not logged in to " + oras::detail::quote(registry));
}

result<void> check_registry(std::string_view registry) {
    if (normalize_registry_key(registry).empty()) {
        return make_failure(errc::invalid_argument, "empty registry name");
    }
    return {};
}

failure io_failure(std::string_view action, const fs::path& path, int err) {
    return make_failure(errc::invalid_argument, std::string(action) + " "
                                                    + oras::detail::quote(path.string(), 1024)
                                                    + ": " + std::strerror(err));
}

// ---- Reading config.json ------------------------------------------------------------------

struct config_file {
    fs::path path{};
    bool exists = false;
    std::string text{};  // what was parsed: a rewrite starts from exactly this
    docker_config config{};
};

result<config_file> load_config(fs::path path) {
    config_file file;
    file.path = std::move(path);
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return file;  // no file: no credentials, and a store creates it
        }
        return io_failure("cannot read", file.path, errno);
    }
    char buffer[64 * 1024];
    for (;;) {
        const auto n = oras::detail::read_some(fd, std::as_writable_bytes(std::span(buffer)));
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return io_failure("cannot read", file.path, err);
        }
        if (n == 0) {
            break;
        }
        file.text.append(buffer, static_cast<std::size_t>(n));
        if (file.text.size() > max_config_size) {
            break;  // parse() refuses it with a clear message
        }
    }
    ::close(fd);
    if (file.text.find_first_not_of(" \t\r\n") == std::string::npos) {
        // An empty file is an empty config, as oras-go reads one; a store writes a new one.
        file.text.clear();
        return file;
    }
    file.exists = true;
    auto cfg = docker_config::parse(file.text, file.path.string());
    if (!cfg) {
        return cfg.error();
    }
    file.config = std::move(*cfg);
    return file;
}

// ---- Rewriting config.json ----------------------------------------------------------------

// Indented with tabs and strings escaped like Go's encoding/json, as the Docker CLI writes the
// file, so that a rewrite by either tool changes only what it meant to change.
void append_indented(std::string& out, const boost::json::value& v, int depth) {
    const auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<std::size_t>(d), '\t');
    };
    if (const auto* obj = v.if_object()) {
        if (obj->empty()) {
            out += "{}";
            return;
        }
        out += '{';
        bool first = true;
        for (const auto& member : *obj) {
            if (!first) {
                out += ',';
            }
            first = false;
            newline(depth + 1);
            oras::detail::append_json_string(out, member.key());
            out += ": ";
            append_indented(out, member.value(), depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (const auto* arr = v.if_array()) {
        if (arr->empty()) {
            out += "[]";
            return;
        }
        out += '[';
        bool first = true;
        for (const auto& element : *arr) {
            if (!first) {
                out += ',';
            }
            first = false;
            newline(depth + 1);
            append_indented(out, element, depth + 1);
        }
        newline(depth);
        out += ']';
    } else if (const auto* str = v.if_string()) {
        oras::detail::append_json_string(out, *str);
    } else {
        out += boost::json::serialize(v);
    }
}

// The file a write to `path` must replace: the target of a symbolic link (so that the link, as
// dotfile managers set up, survives), else `path` itself.
result<fs::path> write_target(const fs::path& path) {
    fs::path target = path;
    for (int hops = 0; hops < 40; ++hops) {
        std::error_code ec;
        if (!fs::is_symlink(target, ec)) {
            return target;
        }
        const fs::path link = fs::read_symlink(target, ec);
        if (ec) {
            return io_failure("cannot read the symbolic link", target, ec.value());
        }
        target = link.is_absolute() ? link : target.parent_path() / link;
    }
    return io_failure("cannot resolve", path, ELOOP);
}

// Creates `dir` and its missing parents, private to the user as Docker creates ~/.docker.
result<void> make_directories(const fs::path& dir) {
    std::error_code ec;
    if (dir.empty() || fs::is_directory(dir, ec)) {
        return {};
    }
    if (dir.has_relative_path() && dir.parent_path() != dir) {
        if (auto r = make_directories(dir.parent_path()); !r) {
            return r;
        }
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return io_failure("cannot create the directory", dir, errno);
    }
    return {};
}

// Replaces `path` with `text` atomically: readers see the old file or the new one, never a part,
// and a failure leaves the old file as it was.
result<void> write_atomically(const fs::path& path, std::string_view text) {
    auto target = write_target(path);
    if (!target) {
        return target.error();
    }
    const fs::path dir = target->parent_path();
    if (auto r = make_directories(dir); !r) {
        return r;
    }
    // Beside the target: rename() is atomic only within one file system.
    std::string temp = (dir / ("." + target->filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) {
        return io_failure("cannot create a temporary file in", dir.empty() ? fs::path(".") : dir,
                          errno);
    }
    const auto abandon = [&](std::string_view action, int err) {
        ::close(fd);
        ::unlink(temp.c_str());
        return io_failure(action, temp, err);
    };
    if (::fchmod(fd, 0600) != 0) {
        return abandon("cannot set the mode of", errno);
    }
    // The file stays its owner's, as Docker keeps it: `sudo oras-cpp login` with the user's
    // HOME must not leave the user a config only root can read. Only root can give a file
    // away; anyone else's rewrite is theirs, as before.
    if (struct stat old{}; ::stat(target->c_str(), &old) == 0 && ::geteuid() == 0
                           && (old.st_uid != ::geteuid() || old.st_gid != ::getegid())) {
        if (::fchown(fd, old.st_uid, old.st_gid) != 0) {
            return abandon("cannot keep the owner of", errno);
        }
    }
    if (const int err =
            oras::detail::write_all(fd, std::as_bytes(std::span(text.data(), text.size())));
        err != 0) {
        return abandon("cannot write", err);
    }
    if (::fsync(fd) != 0) {
        return abandon("cannot write", errno);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return io_failure("cannot write", temp, err);
    }
    if (::rename(temp.c_str(), target->c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return io_failure("cannot replace", *target, err);
    }
    // Make the rename itself durable; the new file is complete either way, so failures here do
    // not fail the store.
    if (const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

// The file's JSON as a mutable value. docker_config::parse has accepted the same text, so a
// failure here is unexpected; it is still reported rather than overwriting the file.
result<boost::json::value> parse_for_rewrite(const config_file& file) {
    if (!file.exists) {
        return boost::json::value(boost::json::object{});
    }
    boost::json::parse_options opts;
    opts.max_depth = 256;
    std::error_code ec;
    boost::json::value v = boost::json::parse(file.text, ec, {}, opts);
    if (ec || !v.is_object()) {
        return make_failure(errc::invalid_argument,
                            oras::detail::quote(file.path.string(), 1024)
                                + " cannot be rewritten: it is not a JSON object the writer accepts"
                                + (ec ? " (" + ec.message() + ")" : std::string()));
    }
    if (const auto* auths = v.as_object().if_contains("auths"); auths && !auths->is_object()) {
        return make_failure(errc::invalid_argument, oras::detail::quote(file.path.string(), 1024)
                                                        + ": \"auths\" must be an object");
    }
    return v;
}

// The `auths` entry Docker writes: `auth` is base64 of "user:password" (omitted when both are
// empty), and the tokens go in their own members.
boost::json::object auths_entry(const credential& cred) {
    boost::json::object entry;
    if (!cred.username.empty() || !cred.password.empty()) {
        entry["auth"] = oras::detail::base64_encode(cred.username + ":" + cred.password);
    }
    if (!cred.identity_token.empty()) {
        entry["identitytoken"] = cred.identity_token;
    }
    if (!cred.registry_token.empty()) {
        entry["registrytoken"] = cred.registry_token;
    }
    return entry;
}

// Every `auths` entry that names `registry` under any spelling; with `replacement`, the first of
// them is replaced in place (keeping its key and position) and the others dropped, or a new
// entry is appended when there is none. Whether any entry named `registry`.
bool rewrite_auths(boost::json::object& root, std::string_view registry,
                   const boost::json::object* replacement) {
    const std::string wanted = normalize_registry_key(registry);
    auto& auths_value = root["auths"];
    if (auths_value.is_null()) {
        auths_value = boost::json::object{};
    }
    auto& auths = auths_value.as_object();
    // Rebuilt rather than erased from: object::erase moves the last member into the gap.
    boost::json::object kept(auths.storage());
    kept.reserve(auths.size() + 1);
    bool found = false;
    for (auto& member : auths) {
        if (normalize_registry_key(member.key()) != wanted) {
            kept.emplace(member.key(), std::move(member.value()));
            continue;
        }
        if (!found && replacement != nullptr) {
            kept.emplace(member.key(), *replacement);
        }
        found = true;
    }
    if (!found && replacement != nullptr) {
        kept.emplace(detail::helper_server_url(registry), *replacement);
    }
    auths = std::move(kept);
    return found;
}

// Serialises rewrites of config files by this process, so that two threads storing credentials
// for different registries do not each write back a file without the other's entry.
std::mutex& rewrite_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

// ---- static_credentials ---------------------------------------------------------------------

static_credentials::static_credentials(std::map<std::string, credential, std::less<>> by_registry) {
    for (auto& [registry, cred] : by_registry) {
        if (auto key = normalize_registry_key(registry); !key.empty()) {
            by_registry_[std::move(key)] = std::move(cred);
        }
    }
}

static_credentials::static_credentials(std::string_view registry, credential cred) {
    if (auto key = normalize_registry_key(registry); !key.empty()) {
        by_registry_.emplace(std::move(key), std::move(cred));
    }
}

result<credential> static_credentials::get(std::string_view registry) {
    const std::lock_guard lock(mutex_);
    if (const auto it = by_registry_.find(normalize_registry_key(registry));
        it != by_registry_.end()) {
        return it->second;
    }
    return credential{};
}

result<void> static_credentials::store(std::string_view registry, const credential& cred) {
    if (auto ok = check_registry(registry); !ok) {
        return ok;
    }
    const std::lock_guard lock(mutex_);
    by_registry_[normalize_registry_key(registry)] = cred;
    return {};
}

result<void> static_credentials::erase(std::string_view registry) {
    const std::lock_guard lock(mutex_);
    if (by_registry_.erase(normalize_registry_key(registry)) == 0) {
        return not_logged_in(registry);
    }
    return {};
}

// ---- docker_credentials ---------------------------------------------------------------------

docker_credentials::docker_credentials(std::filesystem::path path, helper_options options)
    : path_(std::move(path)), options_(options) {}

namespace {

fs::path config_path(const fs::path& configured) {
    return configured.empty() ? docker_config::default_path() : configured;
}

}  // namespace

result<credential> docker_credentials::get(std::string_view registry) {
    auto file = load_config(config_path(path_));
    if (!file) {
        return file.error();
    }
    if (const auto helper = file->config.helper_for(registry); !helper.empty()) {
        auto cred = helper_credentials(helper, options_).get(registry);
        // Like the Docker CLI, fall back to the file when the helper holds nothing.
        if (!cred || !cred->empty()) {
            return cred;
        }
    }
    if (auto cred = file->config.find(registry)) {
        return std::move(*cred);
    }
    return credential{};
}

result<void> docker_credentials::store(std::string_view registry, const credential& cred) {
    if (auto ok = check_registry(registry); !ok) {
        return ok;
    }
    if (cred.empty()) {
        return make_failure(errc::invalid_argument,
                            "no credential to store for " + oras::detail::quote(registry));
    }
    if (cred.username.find(':') != std::string::npos) {
        // "auth" is base64 of user:password, split at the first ':'.
        return make_failure(errc::invalid_argument,
                            "a user name containing ':' cannot be stored in a Docker config file");
    }
    const std::lock_guard lock(rewrite_mutex());
    auto file = load_config(config_path(path_));
    if (!file) {
        return file.error();
    }
    if (const auto helper = file->config.helper_for(registry); !helper.empty()) {
        return helper_credentials(helper, options_).store(registry, cred);
    }
    auto root = parse_for_rewrite(*file);
    if (!root) {
        return root.error();
    }
    const boost::json::object entry = auths_entry(cred);
    rewrite_auths(root->as_object(), registry, &entry);
    std::string text;
    append_indented(text, *root, 0);
    return write_atomically(file->path, text);
}

result<void> docker_credentials::erase(std::string_view registry) {
    if (auto ok = check_registry(registry); !ok) {
        return ok;
    }
    const std::lock_guard lock(rewrite_mutex());
    auto file = load_config(config_path(path_));
    if (!file) {
        return file.error();
    }
    // `get` falls back to the file when the helper holds nothing, so the file's entry goes too,
    // as the Docker CLI's logout removes it: else a logout would leave a password in use.
    bool erased = false;
    if (const auto helper = file->config.helper_for(registry); !helper.empty()) {
        auto by_helper = helper_credentials(helper, options_).erase(registry);
        if (!by_helper && by_helper.error() != errc::not_found) {
            return by_helper;
        }
        erased = by_helper.has_value();
    }
    if (!file->exists) {
        return erased ? result<void>{} : result<void>(not_logged_in(registry));
    }
    auto root = parse_for_rewrite(*file);
    if (!root) {
        return root.error();
    }
    if (!root->as_object().contains("auths")
        || !rewrite_auths(root->as_object(), registry, nullptr)) {
        return erased ? result<void>{} : result<void>(not_logged_in(registry));
    }
    std::string text;
    append_indented(text, *root, 0);
    return write_atomically(file->path, text);
}

// ---- credential_chain -----------------------------------------------------------------------

credential_chain::credential_chain(std::vector<std::shared_ptr<credential_store>> stores) {
    for (auto& s : stores) {
        if (s) {
            stores_.push_back(std::move(s));
        }
    }
}

result<credential> credential_chain::get(std::string_view registry) {
    for (const auto& s : stores_) {
        auto cred = s->get(registry);
        if (!cred || !cred->empty()) {
            return cred;
        }
    }
    return credential{};
}

result<void> credential_chain::store(std::string_view registry, const credential& cred) {
    if (stores_.empty()) {
        return make_failure(errc::unsupported, "no credential store to save credentials in");
    }
    return stores_.back()->store(registry, cred);
}

result<void> credential_chain::erase(std::string_view registry) {
    if (stores_.empty()) {
        return make_failure(errc::unsupported, "no credential store to remove credentials from");
    }
    return stores_.back()->erase(registry);
}

// ---- default_credentials --------------------------------------------------------------------

namespace {

/// `primary`, then each fallback in turn for a registry it has nothing for; written through
/// `primary` only (oras-go's NewStoreWithFallbacks).
class fallback_credentials final : public credential_store {
  public:
    fallback_credentials(std::shared_ptr<credential_store> primary,
                         std::vector<std::shared_ptr<credential_store>> fallbacks)
        : primary_(std::move(primary)), fallbacks_(std::move(fallbacks)) {}

    result<credential> get(std::string_view registry) override {
        auto cred = primary_->get(registry);
        for (const auto& f : fallbacks_) {
            if (!cred || !cred->empty()) {
                break;
            }
            cred = f->get(registry);
        }
        return cred;
    }
    result<void> store(std::string_view registry, const credential& cred) override {
        return primary_->store(registry, cred);
    }
    result<void> erase(std::string_view registry) override { return primary_->erase(registry); }

  private:
    std::shared_ptr<credential_store> primary_;
    std::vector<std::shared_ptr<credential_store>> fallbacks_;
};

}  // namespace

std::shared_ptr<credential_store> default_credentials(const credential_options& options) {
    credential given = options.explicit_credential;
    if (given.empty() && options.use_environment) {
        const char* user = std::getenv("ORAS_USER");
        const char* pass = std::getenv("ORAS_PASS");
        if (user != nullptr || pass != nullptr) {
            given.username = user != nullptr ? user : "";
            given.password = pass != nullptr ? pass : "";
        }
    }
    std::vector<std::shared_ptr<credential_store>> stores;
    if (!given.empty()) {
        std::map<std::string, credential, std::less<>> by_registry;
        for (const auto& registry : options.registries) {
            by_registry.emplace(registry, given);
        }
        auto fixed = std::make_shared<static_credentials>(std::move(by_registry));
        stores.push_back(std::move(fixed));
    }
    std::shared_ptr<credential_store> files =
        std::make_shared<docker_credentials>(options.config_path, options.helpers);
    if (!options.fallback_config_paths.empty()) {
        std::vector<std::shared_ptr<credential_store>> fallbacks;
        for (const auto& path : options.fallback_config_paths) {
            fallbacks.push_back(std::make_shared<docker_credentials>(path, options.helpers));
        }
        files = std::make_shared<fallback_credentials>(std::move(files), std::move(fallbacks));
    }
    stores.push_back(std::move(files));
    return std::make_shared<credential_chain>(std::move(stores));
}

}  // namespace oras::auth
