// The mirror configuration file: YAML through yaml-cpp, every refusal naming its line.
#include "cli/mirror_config.hpp"

#include <oras/error.hpp>
#include <oras/ops/copy.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace oras::cli {

namespace {

/// A refusal at a node of the file, unwound to `parse_mirror_config`.
struct config_error {
    int line = -1;  // 0-based, -1 when unknown
    std::string message;
};

[[noreturn]] void fail(const YAML::Node& at, std::string message) {
    const auto mark = at.Mark();
    throw config_error{mark.is_null() ? -1 : mark.line, std::move(message)};
}

std::string kind_of(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Null:
            return "empty";
        default:
            return "undefined";
    }
}

void expect_map(const YAML::Node& n, const std::string& what) {
    if (!n.IsMap()) {
        fail(n, what + " must be a mapping, not " + kind_of(n));
    }
}

/// Every key of `n` must be one of `known`, and appear once: YAML leaves a repeated key's
/// meaning to the reader (yaml-cpp's lookups take the first, a loop over the map sees both).
void only_keys(const YAML::Node& n, const std::string& what, std::set<std::string> known) {
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar()) {
            fail(it->first, what + ": keys must be plain names");
        }
        const auto key = it->first.Scalar();
        if (!seen.insert(key).second) {
            fail(it->first, "duplicate key \"" + key + "\" in " + what);
        }
        if (!known.contains(key)) {
            std::string list;
            for (const auto& k : known) {
                list += (list.empty() ? "" : ", ") + k;
            }
            fail(it->first, "unknown key \"" + key + "\" in " + what + " (known: " + list + ")");
        }
    }
}

std::string text(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
        fail(n, what + " must be a string, not " + kind_of(n));
    }
    return n.Scalar();
}

bool flag(const YAML::Node& n, const std::string& what) {
    const auto& s = n.IsScalar() ? n.Scalar() : std::string();
    if (s == "true" || s == "yes" || s == "on") {
        return true;
    }
    if (s == "false" || s == "no" || s == "off") {
        return false;
    }
    fail(n, what + " must be true or false");
}

std::size_t count(const YAML::Node& n, const std::string& what, std::size_t max) {
    const auto& s = n.IsScalar() ? n.Scalar() : std::string();
    std::size_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v == 0 || v > max) {
        fail(n, what + " must be a whole number from 1 to " + std::to_string(max));
    }
    return v;
}

/// A string or a list of strings.
std::vector<std::string> strings(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
        return out;
    }
    if (!n.IsSequence()) {
        fail(n, what + " must be a string or a list of strings, not " + kind_of(n));
    }
    for (const auto& item : n) {
        out.push_back(text(item, what + " entries"));
    }
    return out;
}

ops::name_filter filter(const YAML::Node& n, const std::string& what) {
    ops::name_filter f;
    if (n.IsScalar() || n.IsSequence()) {
        f.allow = strings(n, what);  // `tags: '^v'` is the allow list alone
        return f;
    }
    expect_map(n, what);
    only_keys(n, what, {"allow", "deny"});
    if (n["allow"]) {
        f.allow = strings(n["allow"], what + ".allow");
    }
    if (n["deny"]) {
        f.deny = strings(n["deny"], what + ".deny");
    }
    return f;
}

registry::connect_options registry_settings(const YAML::Node& n, const std::string& host,
                                            const getenv_fn& getenv) {
    registry::connect_options o;
    const std::string what = "registries." + host;
    if (n.IsNull()) {
        return o;
    }
    expect_map(n, what);
    only_keys(n, what,
              {"plain-http", "insecure", "ca-file", "username", "password-env", "registry-config",
               "max-requests"});
    if (n["plain-http"]) {
        o.plain_http = flag(n["plain-http"], what + ".plain-http");
    }
    if (n["insecure"]) {
        o.insecure = flag(n["insecure"], what + ".insecure");
    }
    if (n["ca-file"]) {
        o.ca_file = text(n["ca-file"], what + ".ca-file");
    }
    if (n["registry-config"]) {
        // One file, or several read in order as `--registry-config` given more than once: the
        // first is the one a login would write.
        const auto files = strings(n["registry-config"], what + ".registry-config");
        if (files.empty() || std::find(files.begin(), files.end(), "") != files.end()) {
            fail(n["registry-config"], what + ".registry-config: name at least one file, and "
                                              "no empty name");
        }
        o.credentials.config_path = files.front();
        o.credentials.fallback_config_paths.assign(files.begin() + 1, files.end());
    }
    if (n["max-requests"]) {
        o.http.max_connections_per_origin = count(n["max-requests"], what + ".max-requests", 1024);
        o.http.max_idle_per_origin = o.http.max_connections_per_origin;
    }
    std::string username;
    if (n["username"]) {
        username = text(n["username"], what + ".username");
    }
    if (n["password-env"]) {
        const auto var = text(n["password-env"], what + ".password-env");
        const auto value = getenv(var);
        if (!value || value->empty()) {
            fail(n["password-env"], what + ".password-env: the variable " + var + " is not set");
        }
        if (username.empty()) {
            o.credentials.explicit_credential.identity_token = *value;
        } else {
            o.credentials.explicit_credential.username = username;
            o.credentials.explicit_credential.password = *value;
        }
    } else if (!username.empty()) {
        fail(n["username"], what + ": a username needs password-env (the variable holding the "
                                   "password; passwords are not written in the file)");
    }
    return o;
}

ops::mirror_rule rule(const YAML::Node& n, std::size_t index) {
    const std::string what = "sync[" + std::to_string(index) + "]";
    expect_map(n, what);
    only_keys(n, what, {"from", "to", "tags", "repositories", "referrers", "platform"});
    ops::mirror_rule r;
    if (!n["from"]) {
        fail(n, what + " needs from:");
    }
    if (!n["to"]) {
        fail(n, what + " needs to:");
    }
    r.from = text(n["from"], what + ".from");
    r.to = text(n["to"], what + ".to");
    if (n["tags"]) {
        r.tags = filter(n["tags"], what + ".tags");
    }
    if (n["repositories"]) {
        r.repositories = filter(n["repositories"], what + ".repositories");
    }
    if (n["referrers"]) {
        r.referrers = flag(n["referrers"], what + ".referrers");
    }
    if (n["platform"]) {
        const auto given = text(n["platform"], what + ".platform");
        auto p = ops::parse_platform(given);
        if (!p) {
            fail(n["platform"], what + ".platform: " + p.error().message);
        }
        // A file read on machines of any kind: the architecture is never this machine's.
        if (given.substr(0, given.find(':')).find('/') == std::string::npos) {
            fail(n["platform"], what + ".platform: " + given
                                    + " names no architecture: os/arch[/variant][:os_version]");
        }
        r.platform = std::move(*p);
    }
    // References and regular expressions, at the line of the field at fault.
    if (auto v = ops::validate(r); !v) {
        const auto& message = v.error().message;
        const auto field = message.substr(0, message.find_first_of(".:["));
        const auto at = n[field] ? n[field] : n;
        fail(at, what + "." + message);
    }
    return r;
}

}  // namespace

result<mirror_config> parse_mirror_config(std::string_view text_in, std::string_view name,
                                          const getenv_fn& getenv) {
    const auto refuse = [&name](int line, const std::string& message) {
        std::string where(name);
        if (line >= 0) {
            where += ":" + std::to_string(line + 1);
        }
        return failure{make_error_code(errc::invalid_argument), where + ": " + message};
    };
    mirror_config out;
    try {
        const auto root = YAML::Load(std::string(text_in));
        if (!root.IsMap()) {
            return refuse(root.Mark().is_null() ? -1 : root.Mark().line,
                          "a mirror configuration is a mapping with sync: (and registries:)");
        }
        only_keys(root, "the configuration", {"registries", "sync", "concurrency"});
        if (root["concurrency"]) {
            out.concurrency = count(root["concurrency"], "concurrency", 256);
        }
        if (const auto regs = root["registries"]) {
            expect_map(regs, "registries");
            for (auto it = regs.begin(); it != regs.end(); ++it) {
                const auto host = text(it->first, "a registry name");
                if (auto v = validate_registry(host); !v) {
                    fail(it->first, "registries: " + v.error().message);
                }
                if (out.plan.registries.contains(host)) {
                    fail(it->first, "registries: " + host + " is given twice");
                }
                out.plan.registries[host] = registry_settings(it->second, host, getenv);
            }
        }
        const auto sync = root["sync"];
        if (!sync) {
            return refuse(-1, "no sync: entries (what to mirror)");
        }
        if (!sync.IsSequence() || sync.size() == 0) {
            fail(sync, "sync must be a list of {from, to} entries");
        }
        for (std::size_t i = 0; i < sync.size(); ++i) {
            out.plan.rules.push_back(rule(sync[i], i));
        }
    } catch (const config_error& e) {
        return refuse(e.line, e.message);
    } catch (const YAML::Exception& e) {
        return refuse(e.mark.is_null() ? -1 : e.mark.line, e.msg);
    }
    return out;
}

}  // namespace oras::cli
