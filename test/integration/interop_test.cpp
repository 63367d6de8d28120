// Interoperability with skopeo (containers/image): what oras-cpp pushes to a registry, skopeo
// copies into an OCI layout intact (every blob hashes to its name, the manifest byte for byte)
// and oras-cpp pulls from that layout; what skopeo copies from an oras-cpp layout into a
// registry, oras-cpp pulls; skopeo reads the tar archive a backup wrote. skopeo is required:
// scripts/setup.sh installs it, and a missing skopeo fails these tests instead of skipping them.
#include <oras/digest.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>

#include <oras/test/files.hpp>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using oras::test::pattern;
using oras::test::snapshot;
using oras::test::tree;
namespace json = boost::json;
using oras::test::auth_mode;
using oras::test::process_result;
using oras::test::read_file;
using oras::test::registry_process;
using oras::test::write_file;

std::string dump(const process_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n"
           + r.err;
}

std::string str(const json::value& v) {
    return std::string(v.as_string());
}

/// `work` holds the pushed content (and is the CLI's working directory); `home` is HOME for
/// both tools; `policy.json` accepts anything (skopeo refuses to copy without a policy).
struct sandbox {
    oras::test::temp_dir tmp{"oras-interop-"};
    fs::path root = tmp.path();
    fs::path home = root / "home";
    fs::path work = root / "work";
    fs::path policy = root / "policy.json";

    sandbox() {
        fs::create_directories(home);
        fs::create_directories(work);
        write_file(policy, R"({"default":[{"type":"insecureAcceptAnything"}]})");
        write_file(work / "a.txt", "hello, skopeo\n");
        write_file(work / "data.bin", pattern(700'000, 21));
        fs::create_directories(work / "tree/sub");
        fs::create_directories(work / "tree/empty");
        write_file(work / "tree/sub/x.txt", "x\n");
        fs::create_symlink("sub/x.txt", work / "tree/link");
    }

    std::vector<std::string> env() const {
        return {"env",
                "-u",
                "ORAS_USER",
                "-u",
                "ORAS_PASS",
                "-C",
                work.string(),
                "HOME=" + home.string(),
                "DOCKER_CONFIG=" + (home / ".docker").string(),
                "REGISTRY_AUTH_FILE=" + (home / "auth.json").string()};
    }

    process_result oras(const std::vector<std::string>& args) const {
        auto argv = env();
        argv.emplace_back(ORAS_CPP_BINARY);
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = oras::test::run_process(argv, {}, std::chrono::seconds{30});
        for (const auto* stream : {&r.out, &r.err}) {
            if (auto secret = oras::test::find_secret(*stream)) {
                ADD_FAILURE() << "oras-cpp printed a secret (" << *secret << "):\n" << *stream;
            }
        }
        return r;
    }

    process_result skopeo(const std::vector<std::string>& args) const {
        auto argv = env();
        argv.emplace_back(oras::test::find_executable("skopeo"));
        argv.emplace_back("--policy");
        argv.emplace_back(policy.string());
        argv.insert(argv.end(), args.begin(), args.end());
        return oras::test::run_process(argv, {}, std::chrono::seconds{60});
    }

    tree content() const { return snapshot(work); }
};

#define REQUIRE_SKOPEO()                                        \
    ASSERT_FALSE(oras::test::find_executable("skopeo").empty()) \
        << "skopeo is not installed (Debian package `skopeo`; scripts/setup.sh installs it)"

/// Checks an OCI layout written by skopeo: every blob file hashes to its name, `tag` names
/// `manifest` whose bytes are stored unchanged, and the config and layers are all there.
void check_layout(const fs::path& layout, const std::string& tag, const std::string& manifest) {
    ASSERT_TRUE(fs::is_regular_file(layout / "oci-layout"));
    std::size_t blobs = 0;
    for (const auto& e : fs::directory_iterator(layout / "blobs/sha256")) {
        ++blobs;
        EXPECT_EQ(oras::digest::of(read_file(e.path())).str(),
                  "sha256:" + e.path().filename().string());
    }
    const auto digest = oras::digest::of(manifest).str();
    const auto index = json::parse(read_file(layout / "index.json")).as_object();
    bool tagged = false;
    for (const auto& m : index.at("manifests").as_array()) {
        const auto* annotations = m.as_object().if_contains("annotations");
        if (annotations != nullptr
            && annotations->as_object().if_contains("org.opencontainers.image.ref.name") != nullptr
            && str(annotations->at("org.opencontainers.image.ref.name")) == tag) {
            tagged = true;
            EXPECT_EQ(str(m.at("digest")), digest);
            EXPECT_EQ(m.at("size").to_number<std::size_t>(), manifest.size());
        }
    }
    EXPECT_TRUE(tagged) << read_file(layout / "index.json");
    const auto stored = layout / "blobs/sha256" / digest.substr(7);
    ASSERT_TRUE(fs::is_regular_file(stored));
    EXPECT_EQ(read_file(stored), manifest);  // byte for byte

    const auto m = json::parse(manifest).as_object();
    std::set<std::string> wanted = {str(m.at("config").at("digest"))};
    for (const auto& l : m.at("layers").as_array()) {
        wanted.insert(str(l.at("digest")));
    }
    for (const auto& d : wanted) {
        EXPECT_TRUE(fs::is_regular_file(layout / "blobs/sha256" / d.substr(7))) << d;
    }
    EXPECT_EQ(blobs, wanted.size() + 1);  // and the manifest
}

TEST(interop, skopeo_copies_what_oras_cpp_pushed_into_an_oci_layout) {
    REQUIRE_SKOPEO();
    registry_process reg;
    sandbox s;
    write_file(s.root / "config.json", R"({"interop":true})");
    const std::string ref = reg.host() + "/interop/pushed:v1";
    const auto manifest_file = s.root / "manifest.json";
    const auto pushed =
        s.oras({"push", ref, "a.txt:text/plain", "data.bin", "tree", "--config",
                (s.root / "config.json").string() + ":application/vnd.test.config+json", "-a",
                "org.example.k=v", "--export-manifest", manifest_file.string(), "--no-tty"});
    ASSERT_EQ(pushed.exit_code, 0) << dump(pushed);
    const auto manifest = read_file(manifest_file);

    const auto layout = s.root / "layout";
    const auto copied = s.skopeo(
        {"copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + layout.string() + ":v1"});
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);
    check_layout(layout, "v1", manifest);

    const auto out = s.root / "out";
    const auto pulled =
        s.oras({"pull", "--oci-layout", layout.string() + ":v1", "-o", out.string()});
    ASSERT_EQ(pulled.exit_code, 0) << dump(pulled);
    EXPECT_EQ(snapshot(out), s.content());
}

TEST(interop, oras_cpp_pulls_what_skopeo_pushed_from_an_oras_cpp_layout) {
    REQUIRE_SKOPEO();
    registry_process reg;
    sandbox s;
    const auto layout = s.root / "layout";
    const auto pushed = s.oras({"push", "--oci-layout", layout.string() + ":v1", "a.txt",
                                "data.bin:application/vnd.test.data", "tree", "--format", "json"});
    ASSERT_EQ(pushed.exit_code, 0) << dump(pushed);
    const auto digest = str(json::parse(pushed.out).at("digest"));

    const std::string ref = reg.host() + "/interop/from-skopeo:v1";
    const auto copied = s.skopeo(
        {"copy", "oci:" + layout.string() + ":v1", "docker://" + ref, "--dest-tls-verify=false"});
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);

    const auto out = s.root / "out";
    const auto pulled = s.oras({"pull", ref, "-o", out.string(), "--format", "json"});
    ASSERT_EQ(pulled.exit_code, 0) << dump(pulled);
    EXPECT_EQ(str(json::parse(pulled.out).at("digest")), digest);  // the manifest unchanged
    EXPECT_EQ(snapshot(out), s.content());
}

// The archive `backup` writes in one pass is an OCI layout any reader takes: skopeo's
// oci-archive transport (containers/image, Go's archive/tar) copies the tagged artifact out of it
// intact, and a registry gets it back byte for byte.
TEST(interop, skopeo_reads_the_archive_a_backup_wrote) {
    REQUIRE_SKOPEO();
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/interop/backed-up:v1";
    const auto manifest_file = s.root / "manifest.json";
    const auto pushed = s.oras({"push", ref, "a.txt:text/plain", "data.bin", "tree",
                                "--export-manifest", manifest_file.string(), "--no-tty"});
    ASSERT_EQ(pushed.exit_code, 0) << dump(pushed);
    const auto manifest = read_file(manifest_file);
    const auto archive = s.root / "backup.tar";
    const auto backed = s.oras({"backup", "--output", archive.string(), ref, "--no-tty"});
    ASSERT_EQ(backed.exit_code, 0) << dump(backed);

    const auto layout = s.root / "layout";
    const auto copied = s.skopeo(
        {"copy", "oci-archive:" + archive.string() + ":v1", "oci:" + layout.string() + ":v1"});
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);
    check_layout(layout, "v1", manifest);

    const std::string back = reg.host() + "/interop/restored:v1";
    const auto pushed_back = s.skopeo({"copy", "oci-archive:" + archive.string() + ":v1",
                                       "docker://" + back, "--dest-tls-verify=false"});
    ASSERT_EQ(pushed_back.exit_code, 0) << dump(pushed_back);
    const auto out = s.root / "out";
    const auto pulled = s.oras({"pull", back, "-o", out.string(), "--format", "json"});
    ASSERT_EQ(pulled.exit_code, 0) << dump(pulled);
    EXPECT_EQ(str(json::parse(pulled.out).at("digest")), oras::digest::of(manifest).str());
    EXPECT_EQ(snapshot(out), s.content());
}

TEST(interop, skopeo_round_trip_over_tls_with_basic_auth) {
    REQUIRE_SKOPEO();
    registry_process reg({.auth = auth_mode::basic, .tls = true});
    sandbox s;
    const auto certs = s.root / "certs";
    fs::create_directories(certs);
    fs::copy_file(reg.ca_file(), certs / "ca.crt");
    const std::string ref = reg.host() + "/interop/tls:v1";
    const auto manifest_file = s.root / "manifest.json";
    const auto pushed =
        s.oras({"push", ref, "a.txt", "tree", "--ca-file", reg.ca_file(), "-u", "alice", "-p",
                "alice-secret", "--export-manifest", manifest_file.string(), "--no-tty"});
    ASSERT_EQ(pushed.exit_code, 0) << dump(pushed);

    const auto layout = s.root / "layout";
    const auto copied =
        s.skopeo({"copy", "--src-cert-dir", certs.string(), "--src-creds", "alice:alice-secret",
                  "docker://" + ref, "oci:" + layout.string() + ":v1"});
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);
    check_layout(layout, "v1", read_file(manifest_file));

    const std::string back = reg.host() + "/interop/tls-back:v2";
    const auto copied_back =
        s.skopeo({"copy", "--dest-cert-dir", certs.string(), "--dest-creds", "alice:alice-secret",
                  "oci:" + layout.string() + ":v1", "docker://" + back});
    ASSERT_EQ(copied_back.exit_code, 0) << dump(copied_back);
    const auto out = s.root / "out";
    const auto pulled = s.oras({"pull", back, "-o", out.string(), "--ca-file", reg.ca_file(), "-u",
                                "alice", "-p", "alice-secret"});
    ASSERT_EQ(pulled.exit_code, 0) << dump(pulled);
    tree expected;
    for (const auto& [k, v] : s.content()) {
        if (k == "a.txt" || k.starts_with("tree")) {
            expected[k] = v;
        }
    }
    EXPECT_EQ(snapshot(out), expected);
}

}  // namespace
