// The oras-cpp command-line tool against a real registry: round trips in anonymous, basic (flags,
// then login with --registry-config), token (--password-stdin) and TLS modes, an OCI layout round
// trip, and bad input — missing files, paths outside the working directory, bad references,
// wrong passwords, missing tags and malicious artifacts (pushed with the repository API) — that
// must fail with exit code 1, one error line, and nothing written outside the output directory.
#include <oras/auth/client.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/http/client.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/http.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/version.hpp>

#include <oras/test/files.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_sandbox.hpp"

namespace {

using namespace oras::cli_test;

// ---------------------------------------------------------------------------------------------
// A minimal tar writer (ustar) and gzip (stored deflate blocks) for hand-made archives.

struct tar_member {
    std::string name;
    char type = '0';  // '0' file, '5' directory, '2' symlink, '1' hard link
    std::string body{};
    std::string link{};
};

void octal(char* field, std::size_t width, std::uint64_t value) {
    std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                  static_cast<unsigned long long>(value));
}

std::string make_tar(const std::vector<tar_member>& members) {
    std::string out;
    for (const auto& m : members) {
        if (m.name.size() >= 100 || m.link.size() >= 100) {
            throw std::runtime_error("tar name too long for this writer: " + m.name);
        }
        std::array<char, 512> h{};
        std::copy(m.name.begin(), m.name.end(), h.data());
        octal(h.data() + 100, 8, m.type == '5' ? 0755 : 0644);
        octal(h.data() + 108, 8, 0);
        octal(h.data() + 116, 8, 0);
        octal(h.data() + 124, 12, m.type == '0' ? m.body.size() : 0);
        octal(h.data() + 136, 12, 0);
        h[156] = m.type;
        std::copy(m.link.begin(), m.link.end(), h.data() + 157);
        std::copy_n("ustar", 6, h.data() + 257);
        h[263] = '0';
        h[264] = '0';
        std::fill_n(h.data() + 148, 8, ' ');
        unsigned sum = 0;
        for (const char c : h) {
            sum += static_cast<unsigned char>(c);
        }
        std::snprintf(h.data() + 148, 8, "%06o", sum);
        h[155] = ' ';
        out.append(h.data(), h.size());
        if (m.type == '0') {
            out += m.body;
            out.append((512 - m.body.size() % 512) % 512, '\0');
        }
    }
    out.append(1024, '\0');
    return out;
}

std::uint32_t crc32(std::string_view data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char ch : data) {
        crc ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

void put_le(std::string& out, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        out += static_cast<char>((v >> (8 * i)) & 0xFF);
    }
}

std::string gzip_stored(std::string_view data) {
    std::string out = {'\x1f', '\x8b', '\x08', '\0', '\0', '\0', '\0', '\0', '\0', '\xff'};
    std::size_t pos = 0;
    do {
        const auto n = std::min<std::size_t>(data.size() - pos, 65535);
        const bool last = pos + n == data.size();
        out += static_cast<char>(last ? 1 : 0);
        put_le(out, static_cast<std::uint32_t>(n), 2);
        put_le(out, static_cast<std::uint32_t>(~n & 0xFFFF), 2);
        out.append(data.substr(pos, n));
        pos += n;
    } while (pos < data.size());
    put_le(out, crc32(data), 4);
    put_le(out, static_cast<std::uint32_t>(data.size()), 4);
    return out;
}

/// A directory layer titled `title` holding `tar` (gzip), annotated to be unpacked, with the
/// given content digest (default: the tar's own).
descriptor push_tar_layer(raw_repository& repo, const std::string& title, const std::string& tar,
                          std::string content_digest = {}) {
    auto d = repo.push_blob(gzip_stored(tar), std::string(oras::media_type::image_layer_gzip));
    d.annotations[std::string(oras::annotation::title)] = title;
    d.annotations[std::string(oras::annotation::content_unpack)] = "true";
    d.annotations[std::string(oras::annotation::content_digest)] =
        content_digest.empty() ? oras::digest::of(tar).str() : content_digest;
    return d;
}

// ---------------------------------------------------------------------------------------------
// Round trips

/// Pushes `content` (with per-file types, a typed config and annotations) under two tags, pulls
/// both and compares; `auth` are the credential flags for every command.
void full_round_trip(const registry_process& reg, const std::vector<std::string>& auth,
                     std::string_view input = {}) {
    sandbox s;
    s.make_content();
    write_file(s.root / "config.json", R"({"cfg":true})");
    write_file(s.root / "annotations.json", R"({"$manifest":{"org.example.from-file":"manifest"},)"
                                            R"("$config":{"org.example.config":"config"},)"
                                            R"("a.txt":{"org.example.file":"for a.txt"},)"
                                            R"("tree":{"org.example.dir":"for tree"}})");
    const std::string repo = reg.host() + "/cli/files";
    std::vector<std::string> push = {
        "push",
        repo + ":a,b",
        "a.txt:text/plain",
        "data.bin:application/vnd.test.data",
        "tree",
        "--config",
        (s.root / "config.json").string() + ":application/vnd.test.config+json",
        "--artifact-type",
        "application/vnd.test.artifact",
        "-a",
        "org.example.flag=value with spaces",
        "--annotation",
        "org.example.second=2",
        "--annotation-file",
        (s.root / "annotations.json").string(),
        "--export-manifest",
        (s.root / "manifest.json").string(),
        "--format",
        "json",
        "--no-tty",
        "--concurrency",
        "3"};
    push.insert(push.end(), auth.begin(), auth.end());
    const auto pushed = s.oras(push, input);
    ASSERT_OK(pushed);

    const auto out = parse_object(pushed.out);
    const auto manifest_bytes = read_file(s.root / "manifest.json");
    EXPECT_EQ(str(out.at("digest")), oras::digest::of(manifest_bytes).str());
    EXPECT_EQ(out.at("size").to_number<std::int64_t>(),
              static_cast<std::int64_t>(manifest_bytes.size()));
    EXPECT_EQ(out.at("blobsUploaded").to_number<int>(), 4);  // three layers and the config
    EXPECT_EQ(out.at("layers").as_array().size(), 3u);

    const auto m = parse_object(manifest_bytes);
    EXPECT_EQ(m.at("schemaVersion").to_number<int>(), 2);
    EXPECT_EQ(str(m.at("mediaType")), oras::media_type::image_manifest);
    EXPECT_EQ(str(m.at("artifactType")), "application/vnd.test.artifact");
    const auto& config = m.at("config").as_object();
    EXPECT_EQ(str(config.at("mediaType")), "application/vnd.test.config+json");
    EXPECT_EQ(str(config.at("digest")), oras::digest::of(R"({"cfg":true})").str());
    EXPECT_EQ(str(config.at("annotations").at("org.example.config")), "config");
    const auto& annotations = m.at("annotations").as_object();
    EXPECT_EQ(str(annotations.at("org.example.flag")), "value with spaces");
    EXPECT_EQ(str(annotations.at("org.example.second")), "2");
    EXPECT_EQ(str(annotations.at("org.example.from-file")), "manifest");
    EXPECT_TRUE(annotations.contains("org.opencontainers.image.created"));
    const auto& layers = m.at("layers").as_array();
    ASSERT_EQ(layers.size(), 3u);
    const auto title = [](const json::value& l) {
        return str(l.at("annotations").at("org.opencontainers.image.title"));
    };
    EXPECT_EQ(title(layers[0]), "a.txt");
    EXPECT_EQ(str(layers[0].at("mediaType")), "text/plain");
    EXPECT_EQ(str(layers[0].at("digest")), oras::digest::of(read_file(s.work / "a.txt")).str());
    EXPECT_EQ(str(layers[0].at("annotations").at("org.example.file")), "for a.txt");
    EXPECT_EQ(title(layers[1]), "data.bin");
    EXPECT_EQ(str(layers[1].at("mediaType")), "application/vnd.test.data");
    EXPECT_EQ(title(layers[2]), "tree");
    EXPECT_EQ(str(layers[2].at("mediaType")), oras::media_type::image_layer_gzip);
    EXPECT_EQ(str(layers[2].at("annotations").at("io.deis.oras.content.unpack")), "true");
    EXPECT_TRUE(layers[2].at("annotations").as_object().contains("io.deis.oras.content.digest"));
    EXPECT_EQ(str(layers[2].at("annotations").at("org.example.dir")), "for tree");
    EXPECT_EQ(json::value(out.at("layers")), json::value(layers));

    for (const std::string tag : {"a", "b"}) {
        const auto dir = s.scratch / ("out-" + tag);
        std::vector<std::string> pull = {
            "pull",          repo + ":" + tag,      "-o", dir.string(), "--format", "json",
            "--concurrency", tag == "a" ? "1" : "8"};
        pull.insert(pull.end(), auth.begin(), auth.end());
        const auto pulled = s.oras(pull, input);
        ASSERT_OK(pulled);
        EXPECT_EQ(snapshot(dir), s.content()) << tag;
        const auto p = parse_object(pulled.out);
        EXPECT_EQ(str(p.at("digest")), str(out.at("digest")));
        EXPECT_EQ(p.at("files").as_array().size(), 3u);
        EXPECT_EQ(p.at("skipped").to_number<int>(), 0);
    }
}

TEST(cli, round_trip_anonymous) {
    registry_process reg;
    full_round_trip(reg, {});
}

TEST(cli, round_trip_with_basic_auth_flags) {
    registry_process reg({.auth = auth_mode::basic});
    full_round_trip(reg, {"-u", "alice", "-p", "alice-secret"});
}

TEST(cli, round_trip_with_tokens_and_password_stdin) {
    registry_process reg({.auth = auth_mode::token});
    full_round_trip(reg, {"-u", "alice", "--password-stdin"}, "alice-secret\n");
}

TEST(cli, round_trip_over_tls_with_ca_file) {
    registry_process reg({.auth = auth_mode::basic, .tls = true});
    full_round_trip(reg, {"--ca-file", reg.ca_file(), "-u", "alice", "-p", "alice-secret"});
}

TEST(cli, tls_needs_the_ca_or_insecure) {
    registry_process reg({.tls = true});
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/tls:v1";
    // A loopback registry is reached over http unless told otherwise: that fails against TLS.
    const auto plain = s.oras({"push", ref, "a.txt", "--no-tty"});
    EXPECT_EQ(plain.exit_code, 1) << dump(plain);
    EXPECT_EQ(count_lines(plain.err), 1u) << dump(plain);
    EXPECT_TRUE(plain.err.starts_with("Error: " + ref + ": ")) << dump(plain);
    const auto insecure = s.oras({"push", ref, "a.txt", "--insecure", "--no-tty"});
    EXPECT_OK(insecure);
    const auto pulled =
        s.oras({"pull", ref, "-o", (s.scratch / "out").string(), "--ca-file", reg.ca_file()});
    EXPECT_OK(pulled);
    EXPECT_EQ(read_file(s.scratch / "out/a.txt"), read_file(s.work / "a.txt"));
}

TEST(cli, login_then_registry_config_then_logout) {
    registry_process reg({.auth = auth_mode::basic});
    sandbox s;
    s.make_content();
    const auto cfg = (s.root / "auth.json").string();
    const std::string ref = reg.host() + "/cli/login:v1";

    const auto bad =
        s.oras({"login", reg.host(), "-u", "alice", "-p", "wrong", "--registry-config", cfg});
    expect_error(bad, reg.host(), "");
    EXPECT_FALSE(fs::exists(cfg) && read_file(cfg).find(reg.host()) != std::string::npos);
    // As oras, the whole of stdin is the secret, less one line ending: a multi-line secret (a
    // service account's JSON key) is not cut at its first line.
    expect_error(
        s.oras({"login", reg.host(), "-u", "alice", "--password-stdin", "--registry-config", cfg},
               "alice-secret\nmore\n"),
        reg.host(), "");
    EXPECT_FALSE(fs::exists(cfg));
    // A user with no secret is no login (as oras): nothing saved.
    for (const auto& empty :
         {s.oras({"login", reg.host(), "-u", "alice", "--password-stdin", "--registry-config", cfg},
                 ""),
          s.oras({"login", reg.host(), "-u", "alice", "-p", "", "--registry-config", cfg})}) {
        expect_error(empty, reg.host(), "password required", "Password: ");
        EXPECT_FALSE(fs::exists(cfg)) << read_file(cfg);
    }
    // Nothing given: asked for on stdout, read from stdin, as oras asks (here not a terminal,
    // so the secret is read as any line). No username: an identity token is asked for.
    const auto no_token = s.oras({"login", reg.host(), "--registry-config", cfg}, "\n\n");
    expect_error(no_token, reg.host(), "token required", "Username: Token: ");
    EXPECT_FALSE(fs::exists(cfg)) << read_file(cfg);
    const auto wrong =
        s.oras({"login", reg.host(), "-u", "alice", "--registry-config", cfg}, "not-her-secret\n");
    expect_error(wrong, reg.host(), "", "Password: ");
    EXPECT_EQ(wrong.err.find("password required"), std::string::npos) << wrong.err;  // it was read
    const auto prompted =
        s.oras({"login", reg.host(), "--registry-config", cfg}, "  alice \nalice-secret\n");
    ASSERT_OK(prompted);
    EXPECT_EQ(prompted.out, "Username: Password: Login Succeeded\n");
    ASSERT_TRUE(fs::exists(cfg));
    fs::remove(cfg);

    const auto login =
        s.oras({"login", reg.host(), "-u", "alice", "--password-stdin", "--registry-config", cfg},
               "alice-secret\n");
    ASSERT_OK(login);
    EXPECT_NE(login.out.find("Login Succeeded"), std::string::npos) << dump(login);
    ASSERT_TRUE(fs::exists(cfg));
    EXPECT_NE(read_file(cfg).find(reg.host()), std::string::npos) << read_file(cfg);

    ASSERT_OK(s.oras({"push", ref, "a.txt", "tree", "--registry-config", cfg, "--no-tty"}));
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string(), "--registry-config", cfg}));
    EXPECT_EQ(snapshot(out), subset(s.content(), {"a.txt", "tree"}));

    // Without credentials the registry refuses.
    const auto anonymous = s.oras({"pull", ref, "-o", (s.scratch / "anon").string(),
                                   "--registry-config", (s.root / "none.json").string()});
    expect_error(anonymous, ref, "");

    // --registry-config more than once, as oras: read in order, so a first file without the
    // registry falls back to the next.
    const auto empty_cfg = (s.root / "empty.json").string();
    write_file(empty_cfg, R"({"auths": {}})");
    ASSERT_OK(s.oras({"pull", ref, "-o", (s.scratch / "two").string(), "--registry-config",
                      empty_cfg, "--registry-config", cfg}));
    // login saves to the first file only; logout removes from the first only.
    const auto cfg_before = read_file(cfg);
    ASSERT_OK(s.oras({"login", reg.host(), "-u", "alice", "--password-stdin", "--registry-config",
                      empty_cfg, "--registry-config", cfg},
                     "alice-secret\n"));
    EXPECT_NE(read_file(empty_cfg).find(reg.host()), std::string::npos) << read_file(empty_cfg);
    EXPECT_EQ(read_file(cfg), cfg_before);
    ASSERT_OK(
        s.oras({"logout", reg.host(), "--registry-config", empty_cfg, "--registry-config", cfg}));
    EXPECT_EQ(read_file(empty_cfg).find(reg.host()), std::string::npos) << read_file(empty_cfg);
    EXPECT_EQ(read_file(cfg), cfg_before);
    // An empty file is an empty config, as oras-go reads one: logged in to, not refused.
    const auto blank_cfg = (s.root / "blank.json").string();
    write_file(blank_cfg, "");
    ASSERT_OK(s.oras(
        {"login", reg.host(), "-u", "alice", "--password-stdin", "--registry-config", blank_cfg},
        "alice-secret\n"));
    EXPECT_NE(read_file(blank_cfg).find(reg.host()), std::string::npos);
    // A malformed file among them fails the login before anything is sent or saved, as oras.
    const auto bad_cfg = (s.root / "bad.json").string();
    write_file(bad_cfg, "{");
    const auto blank_before = read_file(blank_cfg);
    const auto refused = s.oras({"login", reg.host(), "-u", "bob", "--password-stdin",
                                 "--registry-config", blank_cfg, "--registry-config", bad_cfg},
                                "bob-secret\n");
    expect_error(refused, reg.host(), "bad.json");
    EXPECT_EQ(read_file(blank_cfg), blank_before);
    ASSERT_OK(s.oras({"logout", reg.host(), "--registry-config", blank_cfg}));

    auto logout = s.oras({"logout", reg.host(), "--registry-config", cfg});
    ASSERT_OK(logout);
    EXPECT_EQ(logout.out, "");  // as oras: silent
    EXPECT_EQ(read_file(cfg).find(reg.host()), std::string::npos) << read_file(cfg);
    // Logged out already, or never logged in: nothing to do, no failure (as oras).
    logout = s.oras({"logout", reg.host(), "--registry-config", cfg});
    ASSERT_OK(logout);
    EXPECT_EQ(logout.out + logout.err, "");
    ASSERT_OK(s.oras({"logout", reg.host(), "--registry-config", (s.root / "none.json").string()}));
    EXPECT_FALSE(fs::exists(s.root / "none.json"));
    // A config that cannot be read is an error, and is left as it was.
    write_file(s.root / "bad.json", "{not json");
    expect_error(
        s.oras({"logout", reg.host(), "--registry-config", (s.root / "bad.json").string()}),
        reg.host(), "");
    EXPECT_EQ(read_file(s.root / "bad.json"), "{not json");
    const auto after =
        s.oras({"pull", ref, "-o", (s.scratch / "after").string(), "--registry-config", cfg});
    expect_error(after, ref, "");
    EXPECT_TRUE(snapshot(s.scratch / "after").empty());
}

TEST(cli, token_mode_reader_may_pull_but_not_push) {
    registry_process reg({.auth = auth_mode::token});
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/token:v1";
    ASSERT_OK(s.oras({"push", ref, "a.txt", "-u", "alice", "--password-stdin", "--no-tty"},
                     "alice-secret\n"));
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string(), "-u", "reader", "--password-stdin"},
                     "reader-secret\n"));
    EXPECT_EQ(snapshot(out), subset(s.content(), {"a.txt"}));
    const auto denied = s.oras({"push", reg.host() + "/cli/token:v2", "a.txt", "-u", "reader",
                                "--password-stdin", "--no-tty"},
                               "reader-secret\n");
    expect_error(denied, reg.host() + "/cli/token:v2", "");
    const auto anonymous = s.oras({"pull", ref, "-o", (s.scratch / "anon").string()});
    expect_error(anonymous, ref, "");
}

TEST(cli, image_spec_v1_0) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/v10:v1";
    const auto manifest = s.root / "manifest.json";
    ASSERT_OK(
        s.oras({"push", ref, "a.txt", "--image-spec", "v1.0", "--artifact-type",
                "application/vnd.test.old", "--export-manifest", manifest.string(), "--no-tty"}));
    const auto m = parse_object(read_file(manifest));
    EXPECT_FALSE(m.contains("artifactType")) << json::serialize(m);
    EXPECT_EQ(str(m.at("config").at("mediaType")), "application/vnd.test.old");
    EXPECT_EQ(str(m.at("config").at("digest")), oras::digest::of("{}").str());
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string()}));
    EXPECT_EQ(snapshot(out), subset(s.content(), {"a.txt"}));
}

TEST(cli, second_push_of_the_same_files_uploads_nothing) {
    registry_process reg;
    sandbox s;
    s.make_content();
    write_file(s.work / "config.json", "{\"c\":1}");
    const std::string repo = reg.host() + "/cli/again";
    const std::vector<std::string> files = {"a.txt:text/plain", "data.bin", "--config",
                                            "config.json:application/vnd.test.config+json"};
    auto first_args = std::vector<std::string>{"push", repo + ":v1", "--format", "json"};
    first_args.insert(first_args.end(), files.begin(), files.end());
    const auto first = s.oras(first_args);
    ASSERT_OK(first);
    EXPECT_EQ(parse_object(first.out).at("blobsUploaded").to_number<int>(), 3);

    auto second_args = std::vector<std::string>{"push", repo + ":v2", "--format", "json"};
    second_args.insert(second_args.end(), files.begin(), files.end());
    const auto second = s.oras(second_args);
    ASSERT_OK(second);
    EXPECT_EQ(parse_object(second.out).at("blobsUploaded").to_number<int>(), 0) << second.out;

    // In text mode every blob is reported as already there; only the manifest is uploaded.
    auto text_args = std::vector<std::string>{"push", repo + ":v3", "--no-tty"};
    text_args.insert(text_args.end(), files.begin(), files.end());
    const auto text = s.oras(text_args);
    ASSERT_OK(text);
    EXPECT_NE(text.err.find("Exists"), std::string::npos) << dump(text);
    std::size_t uploaded = 0;
    for (std::size_t pos = 0; (pos = text.err.find("Uploaded", pos)) != std::string::npos; ++pos) {
        ++uploaded;
    }
    EXPECT_LE(uploaded, 1u) << dump(text);  // the manifest at most
}

TEST(cli, second_push_of_the_same_directory_uploads_nothing) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string repo = reg.host() + "/cli/again-dir";
    const auto first = s.oras({"push", repo + ":v1", "a.txt", "tree", "--format", "json"});
    ASSERT_OK(first);
    EXPECT_EQ(parse_object(first.out).at("blobsUploaded").to_number<int>(), 3);
    const auto second = s.oras({"push", repo + ":v2", "a.txt", "tree", "--format", "json"});
    ASSERT_OK(second);
    // The directory archive is reproducible: the registry already has it.
    EXPECT_EQ(parse_object(second.out).at("blobsUploaded").to_number<int>(), 0) << second.out;
    EXPECT_EQ(parse_object(second.out).at("layers"), parse_object(first.out).at("layers"));
}

TEST(cli, pushed_directories_are_remembered_in_the_user_cache_or_under_oras_cache) {
    registry_process reg;
    sandbox s;
    s.make_content();
    std::this_thread::sleep_for(std::chrono::milliseconds(40));  // settled: see tree_cache
    const auto entries = [](const fs::path& dir) {
        std::size_t n = 0;
        for (std::error_code ec; const auto& e : fs::directory_iterator(dir, ec)) {
            n += e.is_regular_file() ? 1 : 0;
        }
        return n;
    };
    const std::string repo = reg.host() + "/cli/trees";
    ASSERT_OK(s.oras({"push", repo + ":v1", "a.txt", "tree"}));
    EXPECT_EQ(entries(s.home / ".cache/oras-cpp/trees"), 1u);

    s.env.push_back("ORAS_CACHE=" + (s.root / "cache").string());
    ASSERT_OK(s.oras({"push", repo + ":v2", "tree", "data.bin"}));
    EXPECT_EQ(entries(s.root / "cache/trees"), 1u);
    EXPECT_EQ(entries(s.home / ".cache/oras-cpp/trees"), 1u);
}

// The lines oras prints: the reference as given with its kind (`[registry]`, `[oci-layout]`), a
// push's first tag with it and a line per further tag; untitled layers reported instead.
TEST(cli, push_and_pull_print_what_oras_prints) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/lines";
    const auto pushed = s.oras({"push", ref + ":a,b,c", "a.txt", "--no-tty"});
    ASSERT_OK(pushed);
    const auto digest = oras::digest::of(read_file(s.work / "a.txt"));
    EXPECT_TRUE(pushed.out.starts_with("Pushed [registry] " + ref
                                       + ":a\nTagged b\nTagged c\nArtifactType: "))
        << pushed.out;
    const auto pulled = s.oras({"pull", ref + ":b", "-o", (s.scratch / "out").string()});
    ASSERT_OK(pulled);
    EXPECT_TRUE(pulled.out.starts_with("Pulled [registry] " + ref + ":b\nDigest: sha256:"))
        << pulled.out;

    const auto layout = (s.scratch / "lay").string();
    const auto to_layout = s.oras({"push", "--oci-layout", layout + ":v1", "a.txt", "--no-tty"});
    ASSERT_OK(to_layout);
    EXPECT_TRUE(to_layout.out.starts_with("Pushed [oci-layout] " + layout + ":v1\n"))
        << to_layout.out;
    const auto from_layout =
        s.oras({"pull", "--oci-layout", layout + ":v1", "-o", (s.scratch / "out2").string()});
    ASSERT_OK(from_layout);
    EXPECT_TRUE(from_layout.out.starts_with("Pulled [oci-layout] " + layout + ":v1\n"))
        << from_layout.out;

    // A layer without a title is not a file: oras says so, and how to copy every layer.
    ASSERT_OK(s.oras({"blob", "push", ref + "@" + digest.str(), "a.txt"}));
    const auto a_size = read_file(s.work / "a.txt").size();
    write_file(
        s.work / "untitled.json",
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("artifactType":"a/b","config":{"mediaType":"application/vnd.oci.empty.v1+json",)"
        R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
        R"("size":2},"layers":[{"mediaType":"text/plain","digest":")"
            + digest.str() + R"(","size":)" + std::to_string(a_size) + "}]}");
    // (the empty config is there: the push above made it)
    ASSERT_OK(s.oras({"manifest", "push", ref + ":untitled", "untitled.json"}));
    const auto skipped = s.oras({"pull", ref + ":untitled", "-o", (s.scratch / "out3").string()});
    ASSERT_OK(skipped);
    EXPECT_EQ(skipped.out,
              "Skipped pulling layers without file name in \"org.opencontainers.image.title\"\n"
              "Use 'oras-cpp cp "
                  + ref + ":untitled --to-oci-layout <layout-dir>' to pull all layers.\n");
    // So is a config of its own (oras counts every untitled node), unless --config writes it.
    write_file(s.work / "cfg.json", R"({"x":1})");
    ASSERT_OK(s.oras({"push", ref + ":configured", "a.txt", "--config", "cfg.json:a/config",
                      "--artifact-type", "a/b", "--no-tty"}));
    const auto config_skipped =
        s.oras({"pull", ref + ":configured", "-o", (s.scratch / "out4").string()});
    ASSERT_OK(config_skipped);
    EXPECT_TRUE(config_skipped.out.starts_with("Skipped pulling layers")) << config_skipped.out;
    const auto config_written = s.oras(
        {"pull", ref + ":configured", "-o", (s.scratch / "out5").string(), "--config", "c.json"});
    ASSERT_OK(config_written);
    EXPECT_TRUE(config_written.out.starts_with("Pulled [registry] " + ref + ":configured\n"))
        << config_written.out;
}

TEST(cli, pull_filters_by_media_type) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/filter:v1";
    ASSERT_OK(s.oras({"push", ref, "a.txt:text/plain", "data.bin:application/vnd.test.data", "tree",
                      "--no-tty"}));
    const auto out = s.scratch / "out";
    const auto pulled =
        s.oras({"pull", ref, "-o", out.string(), "--media-type", "text/plain", "--format", "json"});
    ASSERT_OK(pulled);
    EXPECT_EQ(snapshot(out), subset(s.content(), {"a.txt"}));
    EXPECT_EQ(parse_object(pulled.out).at("skipped").to_number<int>(), 2);

    const auto two = s.scratch / "two";
    ASSERT_OK(s.oras({"pull", ref, "-o", two.string(), "--media-type", "text/plain", "--media-type",
                      std::string(oras::media_type::image_layer_gzip)}));
    EXPECT_EQ(snapshot(two), subset(s.content(), {"a.txt", "tree"}));
}

TEST(cli, keep_old_files_refuses_to_overwrite) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/keep:v1";
    ASSERT_OK(s.oras({"push", ref, "a.txt", "tree", "--no-tty"}));
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string()}));

    // A file.
    write_file(out / "a.txt", "changed locally");
    const auto kept = s.oras({"pull", ref, "-o", out.string(), "--keep-old-files"});
    expect_error(kept, ref, "exists");
    EXPECT_EQ(read_file(out / "a.txt"), "changed locally");

    // A file inside a pulled directory.
    const auto dir_only = s.scratch / "dir-only";
    fs::create_directories(dir_only / "tree");
    write_file(dir_only / "tree/top.txt", "mine");
    const auto before = snapshot(dir_only);
    const auto kept_dir = s.oras({"pull", ref, "-o", dir_only.string(), "--keep-old-files",
                                  "--media-type", std::string(oras::media_type::image_layer_gzip)});
    expect_error(kept_dir, ref, "exists");
    // top.txt is the archive's last member: what came before it is taken back.
    EXPECT_EQ(snapshot(dir_only), before);

    // Without the flag, pulled files replace local ones.
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string()}));
    EXPECT_EQ(snapshot(out), subset(s.content(), {"a.txt", "tree"}));
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 1, one error line naming the reference and the cause, nothing written outside
// the output directory.

/// Runs a failing pull into `scratch/out` and checks that nothing changed outside it and that
/// nothing is left in it.
void expect_pull_fails_cleanly(const sandbox& s, const std::vector<std::string>& args,
                               const std::string& ref, const std::string& cause) {
    const auto before = snapshot(s.root, {"scratch/out"});
    auto full = std::vector<std::string>{"pull", ref, "-o", (s.scratch / "out").string()};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = s.oras(full);
    expect_error(r, ref, cause);
    EXPECT_EQ(snapshot(s.root, {"scratch/out"}), before) << ref;
    EXPECT_EQ(snapshot(s.scratch / "out"), tree{}) << ref;
    fs::remove_all(s.scratch / "out");
}

/// Runs a failing push and checks that nothing changed in the sandbox.
void expect_push_fails_cleanly(const sandbox& s, const std::vector<std::string>& args,
                               const std::string& ref, const std::string& cause) {
    const auto before = snapshot(s.root);
    auto full = std::vector<std::string>{"push", ref};
    full.insert(full.end(), args.begin(), args.end());
    full.push_back("--no-tty");
    const auto r = s.oras(full);
    expect_error(r, ref, cause);
    EXPECT_EQ(snapshot(s.root), before) << ref;
}

TEST(cli, push_of_a_missing_file_fails_before_sending) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/missing:v1";
    expect_push_fails_cleanly(s, {"a.txt", "missing.txt"}, ref, "missing.txt");
    expect_push_fails_cleanly(s, {"a.txt", "tree/missing"}, ref, "tree/missing");
    EXPECT_EQ(tags_status(reg, "cli/missing"), 404u);
    EXPECT_EQ(blob_status(reg, "cli/missing", read_file(s.work / "a.txt")), 404u);
}

TEST(cli, push_of_a_missing_config_sends_nothing) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/missing-config:v1";
    expect_push_fails_cleanly(s, {"a.txt", "--config", "nope.json"}, ref, "nope.json");
    EXPECT_EQ(tags_status(reg, "cli/missing-config"), 404u);
    // "A missing file ... refused before anything is sent" (push.hpp).
    EXPECT_EQ(blob_status(reg, "cli/missing-config", read_file(s.work / "a.txt")), 404u);
}

TEST(cli, push_of_bad_annotations_or_types_fails_before_sending) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/annotations:v1";
    const auto file = [&](const std::string& name, const std::string& text) {
        write_file(s.root / name, text);
        return (s.root / name).string();
    };
    const auto unknown = file("unknown.json", R"({"nope.txt":{"k":"v"}})");
    const auto not_string = file("not-string.json", R"({"$manifest":{"k":1}})");
    const auto broken = file("broken.json", R"({"$manifest":)");
    // A name that is not pushed is passed over, as oras does, with a warning: likely a typo.
    const auto passed_over = s.oras({"push", reg.host() + "/cli/annotations-passed-over:v1",
                                     "a.txt", "--annotation-file", unknown, "--export-manifest",
                                     (s.scratch / "m.json").string()});
    ASSERT_OK(passed_over);
    EXPECT_NE(passed_over.err.find("Warning: " + unknown + " gives annotations for \"nope.txt\""),
              std::string::npos)
        << dump(passed_over);
    EXPECT_EQ(read_file(s.scratch / "m.json").find("\"k\""), std::string::npos);
    expect_push_fails_cleanly(s, {"a.txt", "--annotation-file", not_string}, ref,
                              "not-string.json");
    expect_push_fails_cleanly(s, {"a.txt", "--annotation-file", broken}, ref, "broken.json");
    expect_push_fails_cleanly(s, {"a.txt", "--annotation-file", (s.root / "none.json").string()},
                              ref, "none.json");
    expect_push_fails_cleanly(s, {"a.txt", "-a", "no-value"}, ref, "no-value");
    expect_push_fails_cleanly(s, {"a.txt:text/not a type"}, ref, "not a type");
    expect_push_fails_cleanly(s, {"a.txt", "--artifact-type", "nope"}, ref, "nope");
    EXPECT_EQ(tags_status(reg, "cli/annotations"), 404u);
    EXPECT_EQ(blob_status(reg, "cli/annotations", read_file(s.work / "a.txt")), 404u);
}

TEST(cli, push_of_a_file_outside_the_working_directory) {
    registry_process reg;
    sandbox s;
    s.make_content();
    write_file(s.root / "outside.txt", "outside");
    const std::string ref = reg.host() + "/cli/outside:v1";
    expect_push_fails_cleanly(s, {"a.txt", "../outside.txt"}, ref, "outside.txt");
    expect_push_fails_cleanly(s, {(s.root / "outside.txt").string()}, ref, "outside.txt");
    EXPECT_EQ(tags_status(reg, "cli/outside"), 404u);

    // Allowed when asked for: titled by its file name.
    ASSERT_OK(s.oras({"push", ref, "../outside.txt", "--disable-path-validation", "--no-tty"}));
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "-o", out.string()}));
    EXPECT_EQ(snapshot(out), (tree{{"outside.txt", "file:outside"}}));
}

TEST(cli, repeatable_flags_take_one_value_each_and_leave_the_files_alone) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/repeatable:v1";
    // As in the ORAS docs: annotations between the reference and the files, and after them.
    ASSERT_OK(s.oras({"push", ref, "--annotation", "org.example.a=1", "a.txt", "-a",
                      "org.example.b=2", "data.bin", "--no-tty"}));
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras({"pull", ref, "--media-type", "application/vnd.oci.image.layer.v1.tar", "-o",
                      out.string()}));
    EXPECT_EQ(read_file(out / "a.txt"), read_file(s.work / "a.txt"));
    EXPECT_EQ(read_file(out / "data.bin"), read_file(s.work / "data.bin"));
    const auto manifest = oras::test::http_request(
        "GET", reg.base_url() + "/v2/cli/repeatable/manifests/v1",
        {.headers = {{"Accept", "application/vnd.oci.image.manifest.v1+json"}}});
    EXPECT_NE(manifest.body.find(R"("org.example.a":"1")"), std::string::npos) << manifest.body;
    EXPECT_NE(manifest.body.find(R"("org.example.b":"2")"), std::string::npos) << manifest.body;
}

TEST(cli, bad_references) {
    registry_process reg;
    sandbox s;
    s.make_content();
    // {reference, what the error must say}. `UPPER/repo` names the registry `UPPER` (the ORAS
    // form always starts with the registry), which cannot be reached.
    const std::vector<std::pair<std::string, std::string>> refs = {
        {"UPPER/repo:v1", ""},
        {reg.host() + "/UPPER/repo:v1", "lowercase"},
        {reg.host() + "/repo:bad tag", "bad tag"},
        {reg.host() + "/repo:-bad", "-bad"},
        {reg.host() + "/repo@sha256:nothex", "nothex"},
    };
    for (const auto& [ref, cause] : refs) {
        SCOPED_TRACE(ref);
        expect_push_fails_cleanly(s, {"a.txt"}, ref, cause);
        expect_pull_fails_cleanly(s, {}, ref, cause);
    }
}

// `repo:tag@digest` names the digest (as oras-go parses it): a write never tags what the digest
// does not name.
TEST(cli, a_tag_with_a_digest_is_the_digest_when_written) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string repo = reg.host() + "/cli/tagdigest";
    const std::string zero = "sha256:" + std::string(64, '0');
    const auto manifest = s.root / "m.json";
    write_file(manifest,
               R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
               R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":)"
               R"("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
               R"("size":2,"data":"e30="},"layers":[]})");
    write_file(s.root / "empty.json", "{}");
    ASSERT_OK(s.oras({"blob", "push", repo, (s.root / "empty.json").string()}));
    const auto wrong = s.oras({"manifest", "push", repo + ":t1@" + zero, manifest.string()});
    expect_error(wrong, repo + ":t1@" + zero, zero);
    const auto push = s.oras({"push", repo + ":t2@" + zero, "a.txt"});
    expect_error(push, repo + ":t2@" + zero, "digest");
    for (const auto* tag : {"t1", "t2"}) {
        const auto resolved = s.oras({"resolve", repo + ":" + tag});
        EXPECT_NE(resolved.exit_code, 0) << tag << " was tagged: " << dump(resolved);
    }
    // The manifest's own digest with a tag: pushed by digest, the tag left alone.
    ASSERT_OK(s.oras({"manifest", "push", repo + ":t3", manifest.string()}));
    const auto own = s.oras({"resolve", repo + ":t3"});
    ASSERT_OK(own);
    const auto own_digest = own.out.substr(0, own.out.find('\n'));
    ASSERT_OK(s.oras({"manifest", "push", repo + ":t4@" + own_digest, manifest.string()}));
    EXPECT_NE(s.oras({"resolve", repo + ":t4"}).exit_code, 0);
}

// A registry that cannot be reached now may be reachable later: the error line says so; a
// refusal (a wrong password, a bad reference) does not.
TEST(cli, a_transient_failure_is_named_as_one) {
    sandbox s;
    s.make_content();
    std::uint16_t closed_port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
        closed_port = a.local_endpoint().port();
    }
    const std::string ref = "127.0.0.1:" + std::to_string(closed_port) + "/cli/gone:v1";
    const std::string transient = "(transient: the same command may succeed later)";
    expect_pull_fails_cleanly(s, {}, ref, transient);
    registry_process reg({.auth = auth_mode::basic});
    const auto r = s.oras({"pull", reg.host() + "/cli/gone:v1", "-u", "alice", "-p", "wrong", "-o",
                           (s.scratch / "out").string()});
    expect_error(r, reg.host() + "/cli/gone:v1", "");
    EXPECT_EQ(r.err.find("transient"), std::string::npos) << dump(r);
}

TEST(cli, wrong_password) {
    registry_process reg({.auth = auth_mode::basic});
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/wrong:v1";
    expect_push_fails_cleanly(s, {"a.txt", "-u", "alice", "-p", "not-the-password"}, ref, "");
    EXPECT_EQ(tags_status(reg, "cli/wrong"), 404u);
    ASSERT_OK(s.oras({"push", ref, "a.txt", "-u", "alice", "-p", "alice-secret", "--no-tty"}));
    expect_pull_fails_cleanly(s, {"-u", "alice", "-p", "not-the-password"}, ref, "");
    expect_pull_fails_cleanly(s, {}, ref, "");
}

TEST(cli, wrong_password_names_the_cause) {
    registry_process reg({.auth = auth_mode::basic});
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/wrong:v1";
    const auto r =
        s.oras({"push", ref, "a.txt", "-u", "alice", "-p", "Pa55-not-right", "--no-tty"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_TRUE(r.err.find("401") != std::string::npos
                || r.err.find("nauthori") != std::string::npos)
        << dump(r);
    EXPECT_EQ(r.err.find("Pa55-not-right"), std::string::npos) << "the password is echoed\n"
                                                               << dump(r);
}

TEST(cli, pull_of_a_missing_tag) {
    registry_process reg;
    sandbox s;
    s.make_content();
    ASSERT_OK(s.oras({"push", reg.host() + "/cli/tags:v1", "a.txt", "--no-tty"}));
    expect_pull_fails_cleanly(s, {}, reg.host() + "/cli/tags:nope", "not found");
    expect_pull_fails_cleanly(s, {}, reg.host() + "/cli/no-such-repo:v1", "not found");
}

/// The file where the registry keeps a blob.
fs::path stored_blob(const registry_process& reg, const std::string& digest) {
    const auto hex = digest.substr(digest.find(':') + 1);
    return reg.storage_dir() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

TEST(cli, pull_of_a_damaged_blob_leaves_no_partial_file) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/damaged:v1";
    const auto manifest = s.root / "manifest.json";
    ASSERT_OK(s.oras(
        {"push", ref, "data.bin", "tree", "--export-manifest", manifest.string(), "--no-tty"}));
    // Same size, other bytes, behind the registry's back.
    const auto m = parse_object(read_file(manifest));
    for (const auto& l : m.at("layers").as_array()) {
        const auto path = stored_blob(reg, str(l.at("digest")));
        ASSERT_TRUE(fs::is_regular_file(path)) << path;
        auto bytes = read_file(path);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
        write_file(path, bytes);
    }
    expect_pull_fails_cleanly(s, {}, ref, "");

    // An existing file keeps its content.
    fs::create_directories(s.scratch / "out");
    write_file(s.scratch / "out/data.bin", "old");
    const auto before = snapshot(s.root);
    const auto r = s.oras({"pull", ref, "-o", (s.scratch / "out").string(), "--media-type",
                           std::string(oras::media_type::image_layer)});
    expect_error(r, ref, "");
    EXPECT_EQ(snapshot(s.root), before);
}

// Malicious artifacts.

TEST(cli, pull_refuses_titles_that_leave_the_output_directory) {
    registry_process reg;
    sandbox s;
    ASSERT_FALSE(fs::exists("/abs")) << "the test needs /abs not to exist";
    raw_repository repo(reg, "cli/evil-titles");
    const std::vector<std::string> titles = {
        "../evil",
        "a/../../evil",
        "../../evil",
        "/abs/path",
        (s.scratch / "abs-evil").string(),
        "ok/../../scratch-evil",
        "..",
        ".",
    };
    for (std::size_t i = 0; i < titles.size(); ++i) {
        SCOPED_TRACE(titles[i]);
        auto layer = repo.push_blob("evil content " + std::to_string(i),
                                    std::string(oras::media_type::image_layer));
        layer.annotations[std::string(oras::annotation::title)] = titles[i];
        const auto tag = "t" + std::to_string(i);
        repo.push_artifact({layer}, tag);
        expect_pull_fails_cleanly(s, {}, reg.host() + "/cli/evil-titles:" + tag, "");
    }
    EXPECT_FALSE(fs::exists("/abs"));
    if (fs::exists("/abs/path")) {
        fs::remove_all("/abs");
    }
}

TEST(cli, pull_refuses_a_title_through_an_existing_symlink) {
    registry_process reg;
    sandbox s;
    raw_repository repo(reg, "cli/evil-link");
    auto layer = repo.push_blob("through the link", std::string(oras::media_type::image_layer));
    layer.annotations[std::string(oras::annotation::title)] = "link/evil";
    repo.push_artifact({layer}, "v1");
    fs::create_directories(s.scratch / "out");
    fs::create_directories(s.root / "elsewhere");
    fs::create_directory_symlink(s.root / "elsewhere", s.scratch / "out/link");
    const auto before = snapshot(s.root);
    const auto r =
        s.oras({"pull", reg.host() + "/cli/evil-link:v1", "-o", (s.scratch / "out").string()});
    expect_error(r, reg.host() + "/cli/evil-link:v1", "");
    EXPECT_EQ(snapshot(s.root), before);

    // A directory layer whose destination is a symlink to elsewhere.
    const auto tar = make_tar({{"d/", '5'}, {"d/evil", '0', "evil"}});
    repo.push_artifact({push_tar_layer(repo, "d", tar)}, "dir");
    fs::create_directory_symlink(s.root / "elsewhere", s.scratch / "out/d");
    const auto dir_before = snapshot(s.root);
    const auto dir =
        s.oras({"pull", reg.host() + "/cli/evil-link:dir", "-o", (s.scratch / "out").string()});
    expect_error(dir, reg.host() + "/cli/evil-link:dir", "");
    EXPECT_EQ(snapshot(s.root), dir_before);
}

struct archive_case {
    std::string name;
    std::vector<tar_member> members;
};

TEST(cli, pull_refuses_archives_that_leave_the_output_directory) {
    registry_process reg;
    sandbox s;
    write_file(s.root / "secret", "secret");
    raw_repository repo(reg, "cli/evil-tars");
    const auto abs = (s.scratch / "abs-evil").string();
    const auto abs_dir = (s.scratch).string();
    const std::vector<archive_case> cases = {
        {"dot-dot", {{"d/", '5'}, {"../evil", '0', "evil"}}},
        {"dot-dot-deeper", {{"d/", '5'}, {"d/../../evil", '0', "evil"}}},
        {"dot-dot-deepest", {{"d/", '5'}, {"d/../../../evil", '0', "evil"}}},
        {"absolute", {{"d/", '5'}, {abs, '0', "evil"}}},
        {"symlink-escape-then-file",
         {{"d/", '5'}, {"d/link", '2', "", "../../.."}, {"d/link/evil", '0', "evil"}}},
        {"absolute-symlink-then-file",
         {{"d/", '5'}, {"d/link", '2', "", abs_dir}, {"d/link/evil", '0', "evil"}}},
        {"symlink-escape-only", {{"d/", '5'}, {"d/link", '2', "", "../../../.."}}},
        {"hard-link-outside", {{"d/", '5'}, {"d/hard", '1', "", (s.root / "secret").string()}}},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].name);
        const auto layer = push_tar_layer(repo, "d", make_tar(cases[i].members));
        repo.push_artifact({layer}, cases[i].name);
        expect_pull_fails_cleanly(s, {}, reg.host() + "/cli/evil-tars:" + cases[i].name, "");
    }
    EXPECT_EQ(read_file(s.root / "secret"), "secret");
}

TEST(cli, pull_refuses_an_archive_whose_digest_does_not_match) {
    registry_process reg;
    sandbox s;
    raw_repository repo(reg, "cli/bad-digest");
    const auto tar = make_tar({{"d/", '5'},
                               {"d/ok.txt", '0', "fine"},
                               {"d/sub/", '5'},
                               {"d/sub/more.txt", '0', std::string(5000, 'x')}});
    // The same archive with a correct digest unpacks fine.
    repo.push_artifact({push_tar_layer(repo, "d", tar)}, "good");
    const auto good = s.scratch / "good";
    ASSERT_OK(s.oras({"pull", reg.host() + "/cli/bad-digest:good", "-o", good.string()}));
    EXPECT_EQ(snapshot(good), (tree{{"d", "dir"},
                                    {"d/ok.txt", "file:fine"},
                                    {"d/sub", "dir"},
                                    {"d/sub/more.txt", "file:" + std::string(5000, 'x')}}));
    fs::remove_all(good);

    repo.push_artifact({push_tar_layer(repo, "d", tar, oras::digest::of("something else").str())},
                       "bad");
    expect_pull_fails_cleanly(s, {}, reg.host() + "/cli/bad-digest:bad", "");
}

}  // namespace

// A `blob fetch -o FILE` killed mid-way leaves its bytes under the stable partial name, as a
// pull does: the next fetch asks the registry for the rest only.
TEST(cli, blob_fetch_continues_the_partial_file_a_killed_fetch_left) {
    registry_process reg;
    sandbox s;
    const auto data = pattern(3 * 1024 * 1024 + 5, 11);
    write_file(s.work / "big.bin", data);
    const std::string repo = reg.host() + "/cli/resumed-fetch";
    const auto digest = oras::digest::of(data);
    ASSERT_OK(s.oras({"blob", "push", repo, "big.bin"}));
    const auto out = s.scratch / "big.out";
    const auto partial =
        s.scratch / (".big.out.oras-partial-" + std::string(digest.encoded().substr(0, 32)));
    const std::size_t kept = 2 * 1024 * 1024 + 1;
    write_file(partial, data.substr(0, kept));
    const auto fetched =
        s.oras({"blob", "fetch", "-o", out.string(), repo + "@" + digest.str(), "-d"});
    ASSERT_OK(fetched);
    EXPECT_TRUE(read_file(out) == data);
    EXPECT_FALSE(fs::exists(partial));
    EXPECT_NE(fetched.err.find("Range: bytes=" + std::to_string(kept) + "-"), std::string::npos)
        << dump(fetched);

    // A kept beginning that is not the blob's: the whole blob is fetched and replaces it.
    auto damaged = data.substr(0, kept);
    damaged[7] ^= 1;
    write_file(partial, damaged);
    fs::remove(out);
    ASSERT_OK(s.oras({"blob", "fetch", "-o", out.string(), repo + "@" + digest.str()}));
    EXPECT_TRUE(read_file(out) == data);
    EXPECT_FALSE(fs::exists(partial));
}

TEST(cli, blob_and_manifest_fetch_use_the_blob_cache) {
    registry_process reg;
    sandbox s;
    s.make_content();
    write_file(s.work / "config.json", R"({"fetched":"from the cache"})");
    const std::string repo = reg.host() + "/cli/cached-fetch";
    const std::string ref = repo + ":v1";
    ASSERT_OK(s.oras({"push", ref, "data.bin", "--config",
                      "config.json:application/vnd.test.config", "--no-tty"}));
    const auto fetched = s.oras({"manifest", "fetch", ref});
    ASSERT_OK(fetched);
    const auto manifest = boost::json::parse(fetched.out).as_object();
    const std::string layer(manifest.at("layers").as_array().at(0).at("digest").as_string());
    const std::string config(manifest.at("config").at("digest").as_string());
    const auto cache = s.root / "cache";
    const auto entry = [&](const std::string& d) {
        return cache / "blobs/sha256" / d.substr(std::string("sha256:").size());
    };
    s.env = {"ORAS_CACHE=" + cache.string()};

    // The first fetch fills the cache; the second asks the registry whether the blob is there
    // (HEAD) and reads it from the cache.
    ASSERT_OK(s.oras({"blob", "fetch", "-o", (s.scratch / "one").string(), repo + "@" + layer}));
    EXPECT_EQ(read_file(entry(layer)), read_file(s.work / "data.bin"));
    const auto second =
        s.oras({"blob", "fetch", "-o", (s.scratch / "two").string(), repo + "@" + layer, "-d"});
    ASSERT_OK(second);
    EXPECT_EQ(read_file(s.scratch / "two"), read_file(s.work / "data.bin"));
    EXPECT_NE(second.err.find("HEAD http://" + repo.substr(0, repo.find('/'))
                              + "/v2/cli/"
                                "cached-fetch/blobs/"),
              std::string::npos)
        << dump(second);
    EXPECT_EQ(second.err.find("GET "), std::string::npos) << dump(second);

    // A damaged entry (its size kept) is found as it is read: the file comes from the registry
    // instead, and the entry is sound again.
    auto bad = read_file(entry(layer));
    bad[bad.size() / 2] ^= 1;
    write_file(entry(layer), bad);
    const auto third =
        s.oras({"blob", "fetch", "-o", (s.scratch / "three").string(), repo + "@" + layer});
    ASSERT_OK(third);
    EXPECT_EQ(read_file(s.scratch / "three"), read_file(s.work / "data.bin"));
    EXPECT_EQ(read_file(entry(layer)), read_file(s.work / "data.bin"));
    // To stdout, what went out cannot be taken back: the fetch fails naming the entry, which
    // is removed, and the next fetch goes to the registry.
    write_file(entry(layer), bad);
    const auto to_stdout = s.oras({"blob", "fetch", "-o", "-", repo + "@" + layer});
    EXPECT_EQ(to_stdout.exit_code, 1) << dump(to_stdout);
    EXPECT_NE(to_stdout.err.find("cache entry"), std::string::npos) << dump(to_stdout);
    EXPECT_FALSE(fs::exists(entry(layer)));
    // So into a pipe named as a file: it is written in place, so the fetch is not run again.
    ASSERT_OK(s.oras({"blob", "fetch", "-o", (s.scratch / "five").string(), repo + "@" + layer}));
    write_file(entry(layer), bad);
    const auto to_pipe = s.oras({"blob", "fetch", "-o", "/dev/stdout", repo + "@" + layer});
    EXPECT_EQ(to_pipe.exit_code, 1) << dump(to_pipe);
    EXPECT_LT(to_pipe.out.size(), bad.size()) << "the blob was written again after the bad bytes";
    EXPECT_NE(to_pipe.err.find("cache entry"), std::string::npos) << dump(to_pipe);
    const auto fourth = s.oras({"blob", "fetch", "-o", "-", repo + "@" + layer});
    ASSERT_OK(fourth);
    EXPECT_EQ(fourth.out, read_file(s.work / "data.bin"));

    // manifest fetch always asks the registry and keeps what it fetched; fetch-config reads the
    // config from the cache once it is there.
    ASSERT_OK(s.oras({"manifest", "fetch", "-o", (s.scratch / "m.json").string(), ref}));
    EXPECT_EQ(read_file(entry(oras::digest::of(fetched.out).str())), fetched.out);
    ASSERT_OK(s.oras({"manifest", "fetch-config", ref}));
    EXPECT_EQ(read_file(entry(config)), read_file(s.work / "config.json"));
    const auto cached_config = s.oras({"manifest", "fetch-config", ref, "-d"});
    ASSERT_OK(cached_config);
    EXPECT_EQ(cached_config.out, read_file(s.work / "config.json"));
    EXPECT_NE(cached_config.err.find("/manifests/"), std::string::npos) << dump(cached_config);
    EXPECT_EQ(cached_config.err.find("/blobs/"), std::string::npos) << dump(cached_config);
    // A damaged config entry is refetched, whole.
    auto bad_config = read_file(entry(config));
    bad_config[0] ^= 1;
    write_file(entry(config), bad_config);
    const auto refetched = s.oras({"manifest", "fetch-config", ref});
    ASSERT_OK(refetched);
    EXPECT_EQ(refetched.out, read_file(s.work / "config.json"));
    EXPECT_EQ(read_file(entry(config)), read_file(s.work / "config.json"));
}

TEST(cli, pulls_share_the_blob_cache_oras_cache_names) {
    registry_process reg;
    sandbox s;
    s.make_content();
    const std::string ref = reg.host() + "/cli/cached:v1";
    ASSERT_OK(s.oras({"push", ref, "a.txt", "data.bin", "tree", "--no-tty"}));
    const auto cache = s.root / "cache";
    s.env = {"ORAS_CACHE=" + cache.string()};

    // Two processes filling the same cache at once: both pull everything, every entry is whole.
    auto first = std::async(std::launch::async, [&] {
        return s.oras({"pull", ref, "-o", (s.scratch / "one").string(), "--no-tty"});
    });
    auto second = std::async(std::launch::async, [&] {
        return s.oras({"pull", ref, "-o", (s.scratch / "two").string(), "--no-tty"});
    });
    for (auto* f : {&first, &second}) {
        const auto r = f->get();
        ASSERT_OK(r);
    }
    EXPECT_EQ(snapshot(s.scratch / "one"), s.content());
    EXPECT_EQ(snapshot(s.scratch / "two"), s.content());
    std::size_t entries = 0;
    for (const auto& e : fs::recursive_directory_iterator(cache)) {
        if (e.is_regular_file()) {
            ++entries;
            const auto name = e.path().filename().string();
            EXPECT_FALSE(name.starts_with(".")) << "a temporary file is left: " << e.path();
            EXPECT_EQ(oras::digest::of(read_file(e.path())).encoded(), name);
        }
    }
    EXPECT_EQ(entries, 3u);

    // Once cached, a pull asks the registry for the manifest and for no blob.
    const auto third = s.oras({"pull", ref, "-o", (s.scratch / "three").string(), "--debug"});
    ASSERT_OK(third);
    EXPECT_EQ(snapshot(s.scratch / "three"), s.content());
    EXPECT_EQ(third.err.find("/blobs/"), std::string::npos) << dump(third);
    EXPECT_NE(third.err.find("/manifests/"), std::string::npos) << dump(third);

    // A bound it cannot read is refused before anything is written.
    s.env.push_back("ORAS_CACHE_MAX_SIZE=lots");
    const auto bad = s.oras({"pull", ref, "-o", (s.scratch / "four").string(), "--no-tty"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("ORAS_CACHE_MAX_SIZE"), std::string::npos) << dump(bad);
    EXPECT_FALSE(fs::exists(s.scratch / "four"));
    // A bound below what is cached evicts down to it after the pull.
    s.env.back() = "ORAS_CACHE_MAX_SIZE=1K";
    ASSERT_OK(s.oras({"pull", ref, "-o", (s.scratch / "five").string(), "--no-tty"}));
    std::uintmax_t kept = 0;
    for (const auto& e : fs::recursive_directory_iterator(cache)) {
        if (e.is_regular_file()) {
            kept += e.file_size();
        }
    }
    EXPECT_LE(kept, 1024u);
}
