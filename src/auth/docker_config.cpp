#include <oras/auth/docker_config.hpp>
#include <oras/detail/base64.hpp>

#include "core/json_reader.hpp"
#include "core/quote.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace oras::auth {
namespace {

constexpr std::size_t max_config_size = 16 * 1024 * 1024;

}  // namespace

std::string normalize_registry_key(std::string_view key) {
    if (const auto scheme = key.find("://"); scheme != std::string_view::npos) {
        key.remove_prefix(scheme + 3);
    }
    key = key.substr(0, key.find('/'));
    std::string out(key);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (out == "index.docker.io" || out == "registry-1.docker.io") {
        out = "docker.io";
    }
    return out;
}

result<docker_config> docker_config::parse(std::string_view json, std::string_view origin) {
    const std::string where(origin);
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_argument, where + ": " + why);
    };
    detail::json_document doc;
    const detail::json_reader rd(errc::invalid_argument);
    auto root = doc.parse(json, max_config_size, where, errc::invalid_argument);
    if (!root) {
        return root.error();
    }
    if (!root->is_object()) {
        return fail("is not a JSON object");
    }
    auto top = rd.object(*root, "");
    if (!top) {
        return fail(top.error().message);
    }
    docker_config cfg;
    for (auto field : *top) {
        if (field.key == "auths") {
            auto auths = rd.object(field.value, "auths");
            if (!auths) {
                return fail(auths.error().message);
            }
            for (auto entry : *auths) {
                const std::string path = "auths." + std::string(entry.key);
                auto obj = rd.object(entry.value, path);
                if (!obj) {
                    return fail(obj.error().message);
                }
                credential c;
                for (auto m : *obj) {
                    if (!m.value.is_string()) {
                        continue;  // Docker writes other members (e.g. "email"); only strings
                                   // matter
                    }
                    const std::string value(m.value.get_string().value_unsafe());
                    if (m.key == "auth" && !value.empty()) {
                        auto decoded = oras::detail::base64_decode(value);
                        const auto colon = decoded ? decoded->find(':') : std::string::npos;
                        if (!decoded || colon == std::string::npos) {
                            return fail("\"" + path + ".auth\" is not base64 of user:password");
                        }
                        c.username = decoded->substr(0, colon);
                        c.password = decoded->substr(colon + 1);
                    } else if (m.key == "username" && c.username.empty()) {
                        c.username = value;
                    } else if (m.key == "password" && c.password.empty()) {
                        c.password = value;
                    } else if (m.key == "identitytoken") {
                        c.identity_token = value;
                    } else if (m.key == "registrytoken") {
                        c.registry_token = value;
                    }
                }
                if (!c.empty()) {
                    cfg.auths_[normalize_registry_key(entry.key)] = std::move(c);
                }
            }
        } else if (field.key == "credHelpers") {
            auto helpers = rd.object(field.value, "credHelpers");
            if (!helpers) {
                return fail(helpers.error().message);
            }
            for (auto entry : *helpers) {
                auto name = rd.string(entry.value, "credHelpers." + std::string(entry.key));
                if (!name) {
                    return fail(name.error().message);
                }
                cfg.helpers_[normalize_registry_key(entry.key)] = std::move(*name);
            }
        } else if (field.key == "credsStore") {
            auto name = rd.string(field.value, "credsStore");
            if (!name) {
                return fail(name.error().message);
            }
            cfg.store_ = std::move(*name);
        }
    }
    return cfg;
}

result<docker_config> docker_config::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            return docker_config{};
        }
        return make_failure(errc::invalid_argument,
                            "cannot read " + oras::detail::quote(path.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().find_first_not_of(" \t\r\n") == std::string::npos) {
        return docker_config{};  // an empty file is an empty config, as oras-go reads one
    }
    return parse(text.str(), path.string());
}

std::filesystem::path docker_config::default_path() {
    if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
        return std::filesystem::path(dir) / "config.json";
    }
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home != nullptr ? home : "") / ".docker" / "config.json";
}

std::optional<credential> docker_config::find(std::string_view registry) const {
    if (const auto it = auths_.find(normalize_registry_key(registry)); it != auths_.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::string docker_config::helper_for(std::string_view registry) const {
    if (const auto it = helpers_.find(normalize_registry_key(registry)); it != helpers_.end()) {
        return it->second;
    }
    return store_;
}

}  // namespace oras::auth
