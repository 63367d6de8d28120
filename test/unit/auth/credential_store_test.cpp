#include <oras/auth/credential_store.hpp>
#include <oras/detail/base64.hpp>
#include <oras/error.hpp>

#include "auth/helper_protocol.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using oras::errc;
using oras::auth::credential;
using oras::auth::credential_chain;
using oras::auth::credential_store;
using oras::auth::docker_credentials;
using oras::auth::helper_credentials;
using oras::auth::static_credentials;
namespace proto = oras::auth::detail;

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::string b64(std::string_view s) {
    return oras::detail::base64_encode(s);
}

// `credential` has no default member initializers, so designated initializers of it warn.
credential cred(std::string user, std::string pass = {}, std::string token = {}) {
    credential c;
    c.username = std::move(user);
    c.password = std::move(pass);
    c.identity_token = std::move(token);
    return c;
}

credential token_cred(std::string token) {
    return cred({}, {}, std::move(token));
}

// A fresh directory, removed with everything in it.
class temp_dir {
  public:
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "oras-cred-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path operator/(std::string_view name) const { return path_ / name; }

  private:
    fs::path path_;
};

// Sets an environment variable for the scope of a test and restores it afterwards.
class env_guard {
  public:
    env_guard(const char* name, const std::optional<std::string>& value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    ~env_guard() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

// `dir` first on PATH, for the helper scripts in it.
env_guard prepend_path(const fs::path& dir) {
    const char* old = std::getenv("PATH");
    return env_guard("PATH", dir.string() + ":" + (old != nullptr ? old : "/usr/bin:/bin"));
}

void write_file(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

unsigned mode_of(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777u;
}

void write_script(const fs::path& path, std::string_view body) {
    write_file(path, "#!/bin/sh\n" + std::string(body));
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

// A credential helper keeping one file per server URL in `dir`/db, as a native keychain would;
// the stdin of its last run of each action is kept in `dir`/last-<action>.
void write_store_helper(const temp_dir& dir, std::string_view name) {
    const std::string d = dir.path().string();
    write_script(dir / ("docker-credential-" + std::string(name)), R"(
d=')" + d + R"sh('
mkdir -p "$d/db"
cat > "$d/last-$1"
input=$(cat "$d/last-$1")
case "$1" in
store)
    url=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
    key=$(printf '%s' "$url" | tr -c 'A-Za-z0-9' '_')
    printf '%s' "$input" > "$d/db/$key"
    ;;
get)
    key=$(printf '%s' "$input" | tr -c 'A-Za-z0-9' '_')
    if [ -f "$d/db/$key" ]; then cat "$d/db/$key"; exit 0; fi
    echo "credentials not found in native keychain"
    exit 1
    ;;
erase)
    key=$(printf '%s' "$input" | tr -c 'A-Za-z0-9' '_')
    if [ -f "$d/db/$key" ]; then rm "$d/db/$key"; exit 0; fi
    echo "credentials not found in native keychain"
    exit 1
    ;;
*)
    echo "unknown action $1" >&2
    exit 2
    ;;
esac
)sh");
}

// The processes whose parent is this one: running helpers or zombies left behind.
std::vector<int> child_processes() {
    std::vector<int> children;
    const std::string self = std::to_string(::getpid());
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string stat = read_file(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat.substr(close + 1));
        std::string state;
        std::string ppid;
        rest >> state >> ppid;
        if (ppid == self) {
            children.push_back(std::stoi(entry.path().filename().string()));
        }
    }
    return children;
}

// Descriptors open in this process: a helper run must not leak its pipes.
std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

boost::json::value parse_json(const fs::path& path) {
    return boost::json::parse(read_file(path));
}

// ---- The helper protocol ----------------------------------------------------------------------

TEST(credential_store, helper_protocol_server_urls_and_get_erase_input) {
    EXPECT_EQ(proto::helper_server_url("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(proto::helper_server_url("index.docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(proto::helper_server_url("registry-1.docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(proto::helper_server_url("registry.example:5000"), "registry.example:5000");
    EXPECT_EQ(proto::helper_server_url("https://registry.example:5000/v2/"),
              "registry.example:5000");
    // The server URL alone, no newline: Docker sends it that way and helpers key on it.
    EXPECT_EQ(proto::helper_get_input("registry.example:5000"), "registry.example:5000");
    EXPECT_EQ(proto::helper_erase_input("https://index.docker.io/v1/"),
              "https://index.docker.io/v1/");
}

TEST(credential_store, helper_protocol_store_input) {
    auto basic = proto::helper_store_input("r.example", cred("alice", "p\"w"));
    ASSERT_TRUE(basic) << basic.error().message;
    EXPECT_EQ(*basic, R"({"ServerURL":"r.example","Username":"alice","Secret":"p\"w"})"
                      "\n");

    auto token = proto::helper_store_input("r.example", cred("alice", "", "refresh"));
    ASSERT_TRUE(token);
    // Go's encoder, which Docker uses, escapes '<' and '>' too.
    EXPECT_EQ(*token,
              R"({"ServerURL":"r.example","Username":"\u003ctoken\u003e","Secret":"refresh"})"
              "\n");

    auto nothing = proto::helper_store_input("r.example", cred("", "orphan-secret"));
    ASSERT_FALSE(nothing);
    EXPECT_EQ(nothing.error(), errc::invalid_argument);
    EXPECT_FALSE(contains(nothing.error().message, "orphan-secret"));
}

TEST(credential_store, helper_protocol_parses_get_output) {
    auto basic = proto::parse_helper_get(
        "t", "r.example",
        {.status = 0,
         .out = R"({"ServerURL":"r.example","Username":"alice","Secret":"pw"})"
                "\n"});
    ASSERT_TRUE(basic) << basic.error().message;
    EXPECT_EQ(*basic, cred("alice", "pw"));

    auto token = proto::parse_helper_get(
        "t", "r.example",
        {.status = 0, .out = R"({"ServerURL":"r.example","Username":"<token>","Secret":"rt"})"});
    ASSERT_TRUE(token);
    EXPECT_EQ(*token, token_cred("rt"));

    // Members may be absent (Go's decoder leaves them empty) and unknown ones are ignored.
    auto partial = proto::parse_helper_get("t", "r", {.status = 0, .out = R"({"Extra":1})"});
    ASSERT_TRUE(partial);
    EXPECT_TRUE(partial->empty());

    for (const auto& output : {
             proto::helper_output{.status = 1, .out = "credentials not found in native keychain\n"},
             proto::helper_output{.status = 1, .err = "credentials not found in native keychain"},
         }) {
        auto missing = proto::parse_helper_get("t", "r.example", output);
        ASSERT_TRUE(missing) << missing.error().message;
        EXPECT_TRUE(missing->empty());
    }
}

TEST(credential_store, helper_protocol_malformed_output_is_not_echoed) {
    for (const char* out : {
             R"({"ServerURL":"r","Username":"alice","Secret":"s3cret-value")",
             R"({"Username":"alice","Secret":["s3cret-value"]})",
             R"(["s3cret-value"])",
             "s3cret-value",
             "",
         }) {
        auto r = proto::parse_helper_get("mine", "r.example", {.status = 0, .out = out});
        ASSERT_FALSE(r) << out;
        EXPECT_EQ(r.error(), errc::invalid_response);
        EXPECT_TRUE(contains(r.error().message, "docker-credential-mine")) << r.error().message;
        EXPECT_TRUE(contains(r.error().message, "malformed")) << r.error().message;
        EXPECT_FALSE(contains(r.error().message, "s3cret")) << r.error().message;
    }
}

TEST(credential_store, helper_protocol_failures_name_the_helper_and_the_first_line) {
    auto get = proto::parse_helper_get(
        "mine", "r.example",
        {.status = 2, .out = "ignored", .err = "\n  keychain is locked\nsecond line\n"});
    ASSERT_FALSE(get);
    EXPECT_EQ(get.error(), errc::unavailable);
    const auto& m = get.error().message;
    EXPECT_TRUE(contains(m, "docker-credential-mine get")) << m;
    EXPECT_TRUE(contains(m, "\"r.example\"")) << m;
    EXPECT_TRUE(contains(m, "exit status 2")) << m;
    EXPECT_TRUE(contains(m, "keychain is locked")) << m;
    EXPECT_FALSE(contains(m, "second line")) << m;

    // stdout when stderr is empty; never a JSON line, which may be a credential.
    auto from_out = proto::parse_helper_get("mine", "r", {.status = 1, .out = "no access\n"});
    ASSERT_FALSE(from_out);
    EXPECT_TRUE(contains(from_out.error().message, "no access"));
    auto json = proto::parse_helper_get(
        "mine", "r", {.status = 1, .out = R"({"Username":"u","Secret":"s3cret"})"});
    ASSERT_FALSE(json);
    EXPECT_FALSE(contains(json.error().message, "s3cret")) << json.error().message;

    // A helper that echoes store's input must not leak the secret through the message.
    auto store = proto::check_helper_result(
        "mine", "store", "r.example",
        {.status = 1, .err = "cannot store alice:hunter2 for r.example"}, {"hunter2"});
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(), errc::unavailable);
    EXPECT_TRUE(contains(store.error().message, "docker-credential-mine store"));
    EXPECT_FALSE(contains(store.error().message, "hunter2")) << store.error().message;

    EXPECT_TRUE(proto::check_helper_result("mine", "store", "r", {.status = 0}));
    auto erase = proto::check_helper_result(
        "mine", "erase", "r.example",
        {.status = 1, .out = "credentials not found in native keychain\n"});
    ASSERT_FALSE(erase);
    EXPECT_EQ(erase.error(), errc::not_found);
}

TEST(credential_store, helper_names_are_validated) {
    for (const char* ok : {"desktop", "ecr-login", "pass", "osxkeychain", "a.b_c-1"}) {
        EXPECT_TRUE(proto::valid_helper_name(ok)) << ok;
    }
    for (const char* bad : {"", ".", "..", "../x", "/bin/sh", "a b", "x;rm", "a/b", "ü"}) {
        EXPECT_FALSE(proto::valid_helper_name(bad)) << bad;
    }
    const auto before = child_processes();
    helper_credentials h("../x");
    for (auto r : {h.get("r.example").error(), h.store("r.example", cred("u")).error(),
                   h.erase("r.example").error()}) {
        EXPECT_EQ(r, errc::invalid_argument);
        EXPECT_TRUE(contains(r.message, "\"../x\"")) << r.message;
    }
    EXPECT_EQ(child_processes(), before);
}

// ---- static_credentials, credential_chain, default_credentials ------------------------------

TEST(credential_store, static_credentials_never_cross_registries) {
    static_credentials s("registry.example:5000", cred("alice", "pw"));
    EXPECT_EQ(s.get("registry.example:5000")->username, "alice");
    EXPECT_EQ(s.get("https://Registry.Example:5000/")->username, "alice");
    EXPECT_TRUE(s.get("registry.example")->empty());  // the port is part of the registry
    EXPECT_TRUE(s.get("other.example")->empty());
    EXPECT_TRUE(s.get("")->empty());

    static_credentials hub("index.docker.io", cred("h"));
    EXPECT_EQ(hub.get("docker.io")->username, "h");
    EXPECT_EQ(hub.get("registry-1.docker.io")->username, "h");
}

TEST(credential_store, static_credentials_store_and_erase) {
    static_credentials s;
    ASSERT_TRUE(s.store("a.example", cred("a")));
    ASSERT_TRUE(s.store("b.example", cred("b")));
    EXPECT_EQ(s.get("a.example")->username, "a");
    ASSERT_TRUE(s.erase("A.example"));
    EXPECT_TRUE(s.get("a.example")->empty());
    EXPECT_EQ(s.get("b.example")->username, "b");
    auto again = s.erase("a.example");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::not_found);
    EXPECT_EQ(s.store("", cred("x")).error(), errc::invalid_argument);

    // Concurrent use from the client's threads.
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const std::string reg = "r" + std::to_string(t) + ".example";
            for (int i = 0; i < 500; ++i) {
                (void)s.store(reg, cred(reg));
                auto c = s.get(reg);
                if (!c || c->username != reg) {
                    ++mismatches;
                }
                (void)s.erase(reg);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(mismatches, 0);
}

// A store that answers from a fixed value or fails, recording what reached it.
class fake_store final : public credential_store {
  public:
    explicit fake_store(oras::result<credential> answer) : answer_(std::move(answer)) {}
    oras::result<credential> get(std::string_view) override { return answer_; }
    oras::result<void> store(std::string_view registry, const credential&) override {
        stored_.emplace_back(registry);
        return {};
    }
    oras::result<void> erase(std::string_view registry) override {
        erased_.emplace_back(registry);
        return {};
    }
    std::vector<std::string> stored_;
    std::vector<std::string> erased_;

  private:
    oras::result<credential> answer_;
};

TEST(credential_store, chain_takes_the_first_non_empty_and_writes_to_the_last) {
    auto empty = std::make_shared<fake_store>(credential{});
    auto first = std::make_shared<fake_store>(cred("first"));
    auto second = std::make_shared<fake_store>(cred("second"));
    credential_chain chain({empty, nullptr, first, second});
    EXPECT_EQ(chain.get("r")->username, "first");
    ASSERT_TRUE(chain.store("r", cred("new")));
    ASSERT_TRUE(chain.erase("r"));
    EXPECT_TRUE(first->stored_.empty());
    EXPECT_EQ(second->stored_, std::vector<std::string>{"r"});
    EXPECT_EQ(second->erased_, std::vector<std::string>{"r"});

    auto broken =
        std::make_shared<fake_store>(oras::make_failure(errc::invalid_argument, "bad config"));
    credential_chain failing({empty, broken, second});
    auto r = failing.get("r");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "bad config");

    EXPECT_TRUE(credential_chain({empty}).get("r")->empty());
    EXPECT_EQ(credential_chain({}).store("r", cred("u")).error(), errc::unsupported);
}

TEST(credential_store, default_credentials_offer_given_credentials_to_named_registries_only) {
    temp_dir dir;
    const auto config = dir / "config.json";
    write_file(config, R"({"auths": {"other.example": {"auth": ")" + b64("file:pw") + R"("}}})");
    env_guard user("ORAS_USER", "env-user");
    env_guard pass("ORAS_PASS", "env-pass");

    auto explicit_store =
        oras::auth::default_credentials({.explicit_credential = cred("cli", "cli-pw"),
                                         .registries = {"named.example", "docker.io"},
                                         .config_path = config});
    EXPECT_EQ(explicit_store->get("named.example")->username, "cli");
    EXPECT_EQ(explicit_store->get("index.docker.io")->username, "cli");
    EXPECT_EQ(explicit_store->get("other.example")->username, "file");
    EXPECT_TRUE(explicit_store->get("unnamed.example")->empty());

    auto env_store =
        oras::auth::default_credentials({.registries = {"named.example"}, .config_path = config});
    EXPECT_EQ(*env_store->get("named.example"), cred("env-user", "env-pass"));
    EXPECT_EQ(env_store->get("other.example")->username, "file");
    EXPECT_TRUE(env_store->get("unnamed.example")->empty());

    auto no_env = oras::auth::default_credentials(
        {.registries = {"named.example"}, .use_environment = false, .config_path = config});
    EXPECT_TRUE(no_env->get("named.example")->empty());

    // Logging in through the chain writes to the config file, not to the fixed credentials.
    ASSERT_TRUE(env_store->store("named.example", cred("saved", "s")));
    EXPECT_EQ(docker_credentials(config).get("named.example")->username, "saved");
}

// Several config files, as `--registry-config` given more than once: read in order, the first
// written.
TEST(credential_store, fallback_config_files_are_read_in_order_and_never_written) {
    temp_dir dir;
    const auto first = dir / "first.json";
    const auto second = dir / "second.json";
    const auto third = dir / "third.json";
    write_file(first, R"({"auths": {"a.example": {"auth": ")" + b64("first:1") + R"("}}})");
    write_file(second, R"({"auths": {"a.example": {"auth": ")" + b64("second:2")
                           + R"("},)"
                             R"( "b.example": {"auth": ")"
                           + b64("second:2") + R"("}}})");
    write_file(third, R"({"auths": {"c.example": {"auth": ")" + b64("third:3") + R"("}}})");
    const auto second_before = read_file(second);
    auto store = oras::auth::default_credentials(
        {.use_environment = false, .config_path = first, .fallback_config_paths = {second, third}});
    EXPECT_EQ(store->get("a.example")->username, "first");
    EXPECT_EQ(store->get("b.example")->username, "second");
    EXPECT_EQ(store->get("c.example")->username, "third");
    EXPECT_TRUE(store->get("d.example")->empty());
    // A missing first file is no error: the others are still read.
    auto missing = oras::auth::default_credentials({.use_environment = false,
                                                    .config_path = dir / "none.json",
                                                    .fallback_config_paths = {third}});
    EXPECT_EQ(missing->get("c.example")->username, "third");
    // Saved to, and removed from, the first only.
    ASSERT_TRUE(store->store("b.example", cred("saved", "s")));
    EXPECT_EQ(docker_credentials(first).get("b.example")->username, "saved");
    ASSERT_TRUE(store->erase("b.example"));
    EXPECT_EQ(store->get("b.example")->username, "second");  // the next file's, untouched
    EXPECT_FALSE(store->erase("c.example"));                 // only in a file never written
    EXPECT_EQ(read_file(second), second_before);
    EXPECT_EQ(docker_credentials(third).get("c.example")->username, "third");
}

// ---- docker_credentials: the config file ------------------------------------------------------

TEST(credential_store, docker_get_from_auths) {
    temp_dir dir;
    const auto config = dir / "config.json";
    docker_credentials missing(config);
    auto none = missing.get("r.example");
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_TRUE(none->empty());

    write_file(config, R"({"auths": {
        "https://index.docker.io/v1/": {"auth": ")"
                           + b64("hub:pw") + R"("},
        "https://r.example:5000": {"auth": ")"
                           + b64("alice:secret") + R"("}}})");
    docker_credentials store(config);
    EXPECT_EQ(*store.get("docker.io"), cred("hub", "pw"));
    EXPECT_EQ(store.get("r.example:5000")->username, "alice");
    EXPECT_TRUE(store.get("r.example")->empty());

    write_file(config, R"({"auths": {"r.example": "x"}})");
    auto bad = store.get("r.example");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::invalid_argument);
    EXPECT_TRUE(contains(bad.error().message, config.string())) << bad.error().message;

    // DOCKER_CONFIG is read at each call when no path is given.
    env_guard docker_config("DOCKER_CONFIG", dir.path().string());
    write_file(config, R"({"auths": {"r.example": {"auth": ")" + b64("env:pw") + R"("}}})");
    EXPECT_EQ(docker_credentials().get("r.example")->username, "env");
}

TEST(credential_store, docker_store_creates_a_private_file) {
    temp_dir dir;
    const auto config = dir / "home" / ".docker" / "config.json";
    docker_credentials store(config);
    ASSERT_TRUE(store.store("docker.io", cred("hub", "pw")));
    ASSERT_TRUE(store.store("r.example:5000", cred("alice", "a:b")));
    EXPECT_EQ(mode_of(config), 0600u);
    EXPECT_EQ(mode_of(dir / "home" / ".docker"), 0700u);
    EXPECT_EQ(mode_of(dir / "home"), 0700u);

    // Docker's layout: the legacy key for Docker Hub, host:port for others, tab indentation.
    EXPECT_EQ(read_file(config),
              "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n"
              "\t\t\t\"auth\": \""
                  + b64("hub:pw") + "\"\n\t\t},\n\t\t\"r.example:5000\": {\n\t\t\t\"auth\": \""
                  + b64("alice:a:b") + "\"\n\t\t}\n\t}\n}");
    EXPECT_EQ(*store.get("index.docker.io"), cred("hub", "pw"));
    EXPECT_EQ(store.get("r.example:5000")->password, "a:b");
}

TEST(credential_store, docker_store_identity_token_like_docker) {
    temp_dir dir;
    const auto config = dir / "config.json";
    docker_credentials store(config);
    const credential token = cred("alice", "", "refresh-1");
    ASSERT_TRUE(store.store("r.example", token));
    const auto json = parse_json(config);
    const auto& entry = json.at("auths").at("r.example").as_object();
    EXPECT_EQ(entry.at("auth").as_string(), b64("alice:"));
    EXPECT_EQ(entry.at("identitytoken").as_string(), "refresh-1");
    EXPECT_FALSE(contains(read_file(config), "<token>"));
    EXPECT_EQ(*store.get("r.example"), token);

    ASSERT_TRUE(store.store("t.example", token_cred("refresh-2")));
    const auto only = parse_json(config).at("auths").at("t.example").as_object();
    EXPECT_FALSE(only.contains("auth"));
    EXPECT_EQ(*store.get("t.example"), token_cred("refresh-2"));

    EXPECT_EQ(store.store("r.example", {}).error(), errc::invalid_argument);
    EXPECT_EQ(store.store("r.example", cred("a:b", "x")).error(), errc::invalid_argument);
}

TEST(credential_store, docker_store_keeps_every_other_key) {
    temp_dir dir;
    const auto config = dir / "config.json";
    const std::string original = R"({
        "auths": {
            "first.example": {"auth": ")"
                                 + b64("f:1") + R"(", "email": "f@example.com"},
            "second.example": {}
        },
        "HttpHeaders": {"User-Agent": "Docker-Client/x <&>"},
        "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "*.local"}},
        "currentContext": "remote",
        "plugins": {"n": 1, "f": 1.5, "b": true, "z": null, "a": [1, "two", {}], "e": []},
        "unicode": "héllo ☃"
    })";
    write_file(config, original);
    ASSERT_TRUE(docker_credentials(config).store("new.example", cred("n", "2")));

    const auto before = boost::json::parse(original).as_object();
    const auto after = parse_json(config).as_object();
    ASSERT_EQ(after.size(), before.size());
    auto it = after.begin();
    for (const auto& member : before) {  // same keys, same order, same values
        EXPECT_EQ(it->key(), member.key());
        if (member.key() != "auths") {
            EXPECT_EQ(it->value(), member.value()) << member.key();
        }
        ++it;
    }
    const auto& auths = after.at("auths").as_object();
    ASSERT_EQ(auths.size(), 3u);
    EXPECT_EQ(auths.at("first.example"), before.at("auths").at("first.example"));
    EXPECT_EQ(auths.at("second.example"), boost::json::object{});
    EXPECT_EQ((auths.end() - 1)->key(), "new.example");
    EXPECT_EQ(docker_credentials(config).get("first.example")->username, "f");
}

TEST(credential_store, docker_store_replaces_a_legacy_key_in_place) {
    temp_dir dir;
    const auto config = dir / "config.json";
    write_file(config, R"({"auths": {
        "a.example": {"auth": ")"
                           + b64("a:1") + R"("},
        "https://myreg:5000": {"auth": ")"
                           + b64("old:old") + R"("},
        "z.example": {"auth": ")"
                           + b64("z:1") + R"("},
        "http://MyReg:5000/v1/": {"auth": ")"
                           + b64("older:older") + R"("}}})");
    docker_credentials store(config);
    ASSERT_TRUE(store.store("myreg:5000", cred("new", "pw")));
    const auto auths = parse_json(config).at("auths").as_object();
    std::vector<std::string> keys;
    for (const auto& m : auths) {
        keys.emplace_back(m.key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"a.example", "https://myreg:5000", "z.example"}));
    EXPECT_EQ(auths.at("https://myreg:5000").at("auth").as_string(), b64("new:pw"));
    EXPECT_EQ(*store.get("myreg:5000"), cred("new", "pw"));
}

// Rewritten by root (`sudo oras-cpp login` with the user's HOME), the file stays the user's.
TEST(credential_store, docker_store_keeps_the_owner_of_the_file) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to give a file to another user";
    }
    temp_dir dir;
    const auto config = dir / "config.json";
    write_file(config, R"({"auths": {}})");
    ASSERT_EQ(::chown(config.c_str(), 4242, 4343), 0);
    ASSERT_TRUE(docker_credentials(config).store("r.example", cred("u", "p")));
    struct stat after {};
    ASSERT_EQ(::stat(config.c_str(), &after), 0);
    EXPECT_EQ(after.st_uid, 4242u);
    EXPECT_EQ(after.st_gid, 4343u);
    EXPECT_EQ(mode_of(config), 0600u);
    EXPECT_EQ(*docker_credentials(config).get("r.example"), cred("u", "p"));
}

TEST(credential_store, docker_store_writes_atomically) {
    temp_dir dir;
    const auto config = dir / "config.json";
    write_file(config, R"({"auths": {}})");
    ::chmod(config.c_str(), 0644);
    struct stat before {};
    ::stat(config.c_str(), &before);
    ASSERT_TRUE(docker_credentials(config).store("r.example", cred("u", "p")));
    struct stat after {};
    ::stat(config.c_str(), &after);
    EXPECT_NE(before.st_ino, after.st_ino);  // a new file renamed over the old one
    EXPECT_EQ(mode_of(config), 0600u);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) {
        names.push_back(e.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"config.json"});  // no temporary file left

    // A failure leaves nothing behind: here config.json is a directory.
    const auto blocked = dir / "blocked";
    fs::create_directories(blocked / "config.json" / "inside");
    auto r = docker_credentials(blocked / "config.json").store("r.example", cred("u"));
    ASSERT_FALSE(r);
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(blocked)) {
        left.push_back(e.path().filename().string());
    }
    EXPECT_EQ(left, std::vector<std::string>{"config.json"});
}

TEST(credential_store, docker_store_through_a_symlink_keeps_the_link) {
    temp_dir dir;
    fs::create_directories(dir / "dotfiles");
    const auto real = dir / "dotfiles" / "docker.json";
    write_file(real, R"({"currentContext": "x"})");
    fs::create_directories(dir / ".docker");
    const auto link = dir / ".docker" / "config.json";
    fs::create_symlink("../dotfiles/docker.json", link);

    docker_credentials store(link);
    ASSERT_TRUE(store.store("r.example", cred("u", "p")));
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(parse_json(real).at("currentContext").as_string(), "x");
    EXPECT_EQ(store.get("r.example")->username, "u");
    ASSERT_TRUE(store.erase("r.example"));
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_TRUE(store.get("r.example")->empty());
}

TEST(credential_store, docker_store_and_erase_never_rewrite_a_malformed_file) {
    temp_dir dir;
    const auto config = dir / "config.json";
    for (const std::string& text : {
             std::string("{\"auths\": {"),
             std::string("[]"),
             std::string(R"({"auths": []})"),
             std::string(R"({"auths": {"r.example": {"auth": "!!!"}}})"),
             std::string(R"({"credsStore": 1, "auths": {}})"),
             std::string("\xef\xbb\xbf{}"),
         }) {
        write_file(config, text);
        docker_credentials store(config);
        auto s = store.store("r.example", cred("u", "topsecret"));
        ASSERT_FALSE(s) << text;
        EXPECT_EQ(s.error(), errc::invalid_argument);
        EXPECT_TRUE(contains(s.error().message, config.string())) << s.error().message;
        EXPECT_FALSE(contains(s.error().message, "topsecret"));
        auto e = store.erase("r.example");
        ASSERT_FALSE(e) << text;
        EXPECT_EQ(e.error(), errc::invalid_argument);
        EXPECT_EQ(read_file(config), text);  // byte for byte
    }
}

TEST(credential_store, docker_erase_removes_every_spelling) {
    temp_dir dir;
    const auto config = dir / "config.json";
    docker_credentials store(config);
    auto none = store.erase("r.example");  // no file at all
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), errc::not_found);
    EXPECT_FALSE(fs::exists(config));

    write_file(config, R"({"auths": {
        "r.example": {"auth": ")"
                           + b64("a:1") + R"("},
        "keep.example": {"auth": ")"
                           + b64("k:1") + R"("},
        "https://R.example/": {"auth": ")"
                           + b64("b:1") + R"("}},
        "credHelpers": {"other.example": "x"}})");
    ASSERT_TRUE(store.erase("r.example"));
    const auto json = parse_json(config);
    EXPECT_EQ(json.at("auths").as_object().size(), 1u);
    EXPECT_TRUE(json.at("auths").as_object().contains("keep.example"));
    EXPECT_EQ(json.at("credHelpers").at("other.example").as_string(), "x");
    EXPECT_TRUE(store.get("r.example")->empty());

    auto again = store.erase("r.example");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::not_found);
    EXPECT_TRUE(contains(again.error().message, "r.example"));
}

// ---- docker_credentials and helper_credentials: helper programs -------------------------------

TEST(credential_store, docker_get_from_cred_helpers_and_creds_store) {
    temp_dir dir;
    write_store_helper(dir, "per-registry");
    write_script(dir / "docker-credential-default",
                 R"(cat >/dev/null
case "$1" in
get) echo '{"ServerURL":"x","Username":"<token>","Secret":"from-default"}' ;;
*) exit 1 ;;
esac
)");
    auto path = prepend_path(dir.path());
    const auto config = dir / "config.json";
    write_file(config, R"({
        "credHelpers": {"helped.example": "per-registry"},
        "credsStore": "default",
        "auths": {"plain.example": {"auth": ")"
                           + b64("file:pw") + R"("}}})");

    ASSERT_TRUE(helper_credentials("per-registry").store("helped.example", cred("h", "hp")));
    docker_credentials store(config);
    EXPECT_EQ(*store.get("helped.example"), cred("h", "hp"));
    EXPECT_EQ(read_file(dir / "last-get"), "helped.example");
    EXPECT_EQ(*store.get("other.example"), token_cred("from-default"));

    // A helper holding nothing leaves the file's entry to answer, as with the Docker CLI.
    write_file(config, R"({
        "credsStore": "per-registry",
        "auths": {"plain.example": {"auth": ")"
                           + b64("file:pw") + R"("}}})");
    EXPECT_EQ(store.get("plain.example")->username, "file");
    EXPECT_TRUE(store.get("unknown.example")->empty());

    // Logging out takes the file's entry too: the helper forgetting the registry is not
    // enough while `get` falls back to the file.
    ASSERT_TRUE(helper_credentials("per-registry").store("plain.example", cred("h", "hp")));
    ASSERT_TRUE(store.erase("plain.example"));
    EXPECT_TRUE(store.get("plain.example")->empty());
    EXPECT_FALSE(parse_json(config).at("auths").as_object().contains("plain.example"));
    write_file(config, R"({
        "credsStore": "per-registry",
        "auths": {"plain.example": {"auth": ")"
                           + b64("file:pw") + R"("}}})");
    ASSERT_TRUE(store.erase("plain.example"));  // the helper had nothing: the file had it
    EXPECT_TRUE(store.get("plain.example")->empty());
    const auto none = store.erase("plain.example");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), errc::not_found);

    write_file(config, R"({"credsStore": "absent-helper-for-oras-tests"})");
    auto missing = store.get("r.example");
    ASSERT_FALSE(missing);
    // Not transient: running the command again will not install it.
    EXPECT_EQ(missing.error(), errc::invalid_argument);
    EXPECT_FALSE(oras::is_transient(std::error_code(missing.error().code)));
    EXPECT_TRUE(contains(missing.error().message,
                         "docker-credential-absent-helper-for-oras-tests not found on PATH"))
        << missing.error().message;

    write_file(config, R"({"credsStore": "../../bin/sh"})");
    EXPECT_EQ(store.get("r.example").error(), errc::invalid_argument);
}

TEST(credential_store, docker_helper_round_trip_leaves_the_file_alone) {
    temp_dir dir;
    write_store_helper(dir, "roundtrip");
    auto path = prepend_path(dir.path());
    const auto config = dir / "config.json";
    const std::string text = R"({"credsStore": "roundtrip", "proxies": {}})";
    write_file(config, text);
    docker_credentials store(config);

    const credential saved = cred("alice", "p\"w\\");
    ASSERT_TRUE(store.store("docker.io", saved));
    EXPECT_EQ(read_file(dir / "last-store"),
              R"({"ServerURL":"https://index.docker.io/v1/","Username":"alice","Secret":"p\"w\\"})"
              "\n");
    EXPECT_EQ(*store.get("registry-1.docker.io"), saved);
    EXPECT_EQ(read_file(dir / "last-get"), "https://index.docker.io/v1/");

    const credential token = token_cred("refresh");
    ASSERT_TRUE(store.store("r.example:5000", token));
    EXPECT_EQ(*store.get("r.example:5000"), token);

    ASSERT_TRUE(store.erase("docker.io"));
    EXPECT_EQ(read_file(dir / "last-erase"), "https://index.docker.io/v1/");
    EXPECT_TRUE(store.get("docker.io")->empty());
    auto again = store.erase("docker.io");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::not_found);
    EXPECT_EQ(read_file(config), text);
}

TEST(credential_store, helper_failures_are_reported_without_secrets) {
    temp_dir dir;
    write_script(dir / "docker-credential-echo", R"(input=$(cat)
echo "rejected: $input" >&2
exit 1
)");
    // Exits without reading stdin: writing the input must not raise SIGPIPE in this process.
    write_script(dir / "docker-credential-early", R"(exec 0<&-
echo "early exit" >&2
exit 3
)");
    auto path = prepend_path(dir.path());
    const auto fds = open_fds();
    auto stored = helper_credentials("echo").store("r.example", cred("u", "pw-42"));
    ASSERT_FALSE(stored);
    EXPECT_EQ(stored.error(), errc::unavailable);
    EXPECT_TRUE(contains(stored.error().message, "docker-credential-echo store"));
    EXPECT_FALSE(contains(stored.error().message, "pw-42")) << stored.error().message;
    // A credential in the middle of a line (a helper quoting what it read) is not shown either.
    write_script(dir / "docker-credential-quoting", R"(cat >/dev/null
echo 'oops: {"Username":"u","Secret":"s3cr3t"} is stale' >&2
exit 1
)");
    auto quoted = helper_credentials("quoting").get("r.example");
    ASSERT_FALSE(quoted);
    EXPECT_FALSE(contains(quoted.error().message, "s3cr3t")) << quoted.error().message;
    EXPECT_TRUE(contains(quoted.error().message, "not shown")) << quoted.error().message;

    for (int i = 0; i < 20; ++i) {
        auto early =
            helper_credentials("early").store("r.example", cred("u", std::string(256 * 1024, 'x')));
        ASSERT_FALSE(early);
        EXPECT_TRUE(contains(early.error().message, "exit status 3")) << early.error().message;
        EXPECT_TRUE(contains(early.error().message, "early exit")) << early.error().message;
    }
    EXPECT_EQ(open_fds(), fds);
    EXPECT_TRUE(child_processes().empty());
}

TEST(credential_store, helpers_are_not_run_from_relative_path_entries) {
    // A command run inside a checkout that ships its own helper must not run it, whatever a
    // stray `.` or empty entry in PATH says (as Go's exec.LookPath refuses them).
    temp_dir dir;
    write_script(dir / "docker-credential-planted",
                 "echo '{\"ServerURL\":\"r.example\",\"Username\":\"u\",\"Secret\":\"s\"}'\n");
    const auto cwd = fs::current_path();
    fs::current_path(dir.path());
    const char* old = std::getenv("PATH");
    const std::string rest = old != nullptr ? old : "/usr/bin:/bin";
    for (const auto& path : {".:" + rest, ":" + rest, rest + ":", "./:" + rest}) {
        SCOPED_TRACE(path);
        env_guard guard("PATH", path);
        auto r = helper_credentials("planted").get("r.example");
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), errc::invalid_argument);
        EXPECT_TRUE(contains(r.error().message, "not found on PATH")) << r.error().message;
    }
    fs::current_path(cwd);
    // From an absolute entry it runs.
    auto path = prepend_path(dir.path());
    EXPECT_EQ(helper_credentials("planted").get("r.example")->username, "u");
}

TEST(credential_store, helper_timeout_kills_and_reaps) {
    temp_dir dir;
    write_script(dir / "docker-credential-slow", "exec sleep 30\n");
    auto path = prepend_path(dir.path());
    const auto fds = open_fds();
    helper_credentials slow("slow", {.timeout = 200ms});
    const auto start = std::chrono::steady_clock::now();
    auto r = slow.get("r.example");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::unavailable);
    EXPECT_TRUE(contains(r.error().message, "docker-credential-slow get timed out after 200 ms"))
        << r.error().message;
    EXPECT_GE(elapsed, 200ms);
    EXPECT_LT(elapsed, 10s);
    EXPECT_TRUE(child_processes().empty());  // killed and waited for: no zombie

    // A helper that closes its output but keeps running is still bound by the timeout.
    write_script(dir / "docker-credential-detached", "exec >&- 2>&- <&-\nexec sleep 30\n");
    auto detached = helper_credentials("detached", {.timeout = 200ms}).get("r.example");
    ASSERT_FALSE(detached);
    EXPECT_TRUE(contains(detached.error().message, "timed out")) << detached.error().message;
    EXPECT_TRUE(child_processes().empty());
    EXPECT_EQ(open_fds(), fds);
}

TEST(credential_store, helper_output_is_capped) {
    temp_dir dir;
    write_script(dir / "docker-credential-flood", "exec head -c 50000000 /dev/zero\n");
    auto path = prepend_path(dir.path());
    const auto fds = open_fds();
    auto r = helper_credentials("flood", {.max_output = 64 * 1024}).get("r.example");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::size_exceeds_limit);
    EXPECT_TRUE(contains(r.error().message, "docker-credential-flood get")) << r.error().message;
    EXPECT_TRUE(child_processes().empty());
    EXPECT_EQ(open_fds(), fds);
}

}  // namespace
