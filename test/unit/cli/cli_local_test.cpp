// The command-line tool where no registry is needed: push, pull, tag, resolve and the other
// commands on an OCI layout (`--oci-layout`), `version`, bash completion, and the harness's own
// check that no secret is printed or left behind. Runs the built oras-cpp as a child process.
#include <oras/test/cli_sandbox.hpp>
#include <oras/test/secrets.hpp>
#include <oras/version.hpp>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace oras::cli_test;

TEST(cli, oci_layout_round_trip) {
    sandbox s;
    s.make_content();
    const auto layout = s.root / "layout";
    const auto pushed = s.oras({"push", "--oci-layout", layout.string() + ":v1,v2",
                                "a.txt:text/plain", "data.bin", "tree", "--format", "json"});
    ASSERT_OK(pushed);
    EXPECT_TRUE(fs::is_regular_file(layout / "oci-layout"));
    EXPECT_TRUE(fs::is_regular_file(layout / "index.json"));
    const auto digest = str(parse_object(pushed.out).at("digest"));
    for (const std::string tag : {"v1", "v2"}) {
        const auto out = s.scratch / tag;
        const auto pulled = s.oras({"pull", "--oci-layout", layout.string() + ":" + tag, "-o",
                                    out.string(), "--format", "json"});
        ASSERT_OK(pulled);
        EXPECT_EQ(str(parse_object(pulled.out).at("digest")), digest);
        EXPECT_EQ(snapshot(out), s.content()) << tag;
    }
    const auto before = snapshot(s.root, {"scratch/missing"});
    const auto missing = s.oras({"pull", "--oci-layout", layout.string() + ":nope", "-o",
                                 (s.scratch / "missing").string()});
    expect_error(missing, layout.string() + ":nope", "nope");
    EXPECT_EQ(snapshot(s.root, {"scratch/missing"}), before);
    EXPECT_TRUE(snapshot(s.scratch / "missing").empty());

    const auto no_layout = s.oras({"pull", "--oci-layout", (s.root / "nowhere").string() + ":v1",
                                   "-o", (s.scratch / "missing").string()});
    EXPECT_EQ(no_layout.exit_code, 1) << dump(no_layout);
    EXPECT_FALSE(fs::exists(s.root / "nowhere"));
}

// As oras: a file named by an absolute path is refused, inside the working directory too, unless
// --disable-path-validation.
TEST(cli, an_absolute_file_path_needs_disable_path_validation) {
    sandbox s;
    s.make_content();
    const auto layout = (s.root / "layout").string();
    const auto file = (s.work / "a.txt").string();
    const auto before = snapshot(s.root);
    const auto refused = s.oras({"push", "--oci-layout", layout + ":v1", file, "--no-tty"});
    expect_error(refused, layout + ":v1", "absolute file path detected");
    EXPECT_EQ(snapshot(s.root), before);
    expect_error(s.oras({"attach", "--oci-layout", layout + ":v1", "--artifact-type", "t/x", file,
                         "--no-tty"}),
                 layout + ":v1", "absolute file path detected");
    ASSERT_OK(s.oras(
        {"push", "--oci-layout", layout + ":v1", file, "--disable-path-validation", "--no-tty"}));
}

// As oras: a header for a layout is a mistake, said before anything is read or written.
TEST(cli, a_header_on_an_oci_layout_is_refused) {
    sandbox s;
    const auto layout = (s.root / "layout").string();
    const auto before = snapshot(s.root);
    expect_error(s.oras({"manifest", "fetch", "--oci-layout", "-H", "X: y", layout + ":v1"}),
                 layout + ":v1", "custom header flags cannot be used on an OCI image layout");
    expect_error(s.oras({"cp", "--to-oci-layout", "--to-header", "X: y", "localhost:1/a:v1",
                         layout + ":v1"}),
                 "localhost:1/a:v1", "custom header flags cannot be used on an OCI image layout");
    expect_error(s.oras({"cp", "--from-oci-layout", "--from-header", "X: y", layout + ":v1",
                         "localhost:1/a:v1"}),
                 layout + ":v1", "custom header flags cannot be used on an OCI image layout");
    EXPECT_EQ(snapshot(s.root), before);
}

// JSON as oras's encoder writes it: tags sorted, `<>&` escaped, a file's path first, and no
// files at all as null (Go's nil slice).
TEST(cli, json_output_is_written_as_oras_writes_it) {
    sandbox s;
    s.make_content();
    const auto layout = (s.root / "layout").string();
    const auto pushed = s.oras({"push", "--oci-layout", layout + ":g1,g0,g2", "a.txt", "-a",
                                "k=a<b&c>", "--format", "json", "--no-tty"});
    ASSERT_OK(pushed);
    EXPECT_NE(pushed.out.find(R"("k": "a\u003cb\u0026c\u003e")"), std::string::npos) << pushed.out;
    const auto o = parse_object(pushed.out);
    EXPECT_EQ(o.at("referenceAsTags"),
              (boost::json::array{layout + ":g0", layout + ":g1", layout + ":g2"}));

    const auto pulled = s.oras({"pull", "--oci-layout", layout + ":g0", "-o",
                                (s.scratch / "out").string(), "--format", "json", "--no-tty"});
    ASSERT_OK(pulled);
    const auto files = parse_object(pulled.out).at("files").as_array();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].as_object().begin()->key(), "path");

    ASSERT_OK(s.oras({"push", "--oci-layout", layout + ":bare", "--no-tty"}));
    const auto none = s.oras({"pull", "--oci-layout", layout + ":bare", "-o",
                              (s.scratch / "none").string(), "--format", "json", "--no-tty"});
    ASSERT_OK(none);
    EXPECT_TRUE(parse_object(none.out).at("files").is_null()) << none.out;
}

TEST(cli, oci_layout_pull_by_digest) {
    sandbox s;
    s.make_content();
    const auto layout = s.root / "layout";
    const auto pushed =
        s.oras({"push", "--oci-layout", layout.string() + ":v1", "a.txt", "--format", "json"});
    ASSERT_OK(pushed);
    const auto digest = str(parse_object(pushed.out).at("digest"));
    // The CLI's own error message offers `DIR@DIGEST`.
    const auto by_digest = s.scratch / "by-digest";
    const auto pulled =
        s.oras({"pull", "--oci-layout", layout.string() + "@" + digest, "-o", by_digest.string()});
    EXPECT_OK(pulled);
    EXPECT_EQ(snapshot(by_digest), subset(s.content(), {"a.txt"}));
    // By digest, the manifest's own descriptor, as oras-go's layout answers a digest: what the
    // tag's index.json entry adds (its artifactType, annotations) is the entry's.
    const auto plain = s.oras(
        {"manifest", "fetch", "--descriptor", "--oci-layout", layout.string() + "@" + digest});
    ASSERT_OK(plain);
    const auto d = parse_object(plain.out);
    EXPECT_EQ(d.size(), 3u) << plain.out;
    EXPECT_EQ(str(d.at("digest")), digest);
}

// The manifest forms of oras push (push.go's PreRunE), on a layout.
TEST(cli, push_packs_config_platform_and_image_spec_as_oras_does) {
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    write_file(s.work / "config.json", R"({"k":1})");
    const auto dir = (s.scratch / "layout").string();
    const auto manifest_of = [&](const std::string& tag) {
        const auto r = s.oras({"manifest", "fetch", "--oci-layout", dir + ":" + tag});
        EXPECT_OK(r);
        return parse_object(r.out);
    };
    // --config without --artifact-type: an image-spec v1.0 manifest, as oras packs it.
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":cfg", "hi.txt", "--config",
                      "config.json:application/vnd.test.config", "--no-tty"}));
    auto m = manifest_of("cfg");
    EXPECT_FALSE(m.contains("artifactType"));
    EXPECT_EQ(str(m.at("config").at("mediaType")), "application/vnd.test.config");
    // ... refused with an explicit v1.1; v1.0 takes no --artifact-type with --config.
    expect_error(s.oras({"push", "--oci-layout", dir + ":no", "hi.txt", "--config", "config.json",
                         "--image-spec", "v1.1"}),
                 dir + ":no", "missing artifact type for OCI image-spec v1.1 artifacts");
    expect_error(s.oras({"push", "--oci-layout", dir + ":no", "hi.txt", "--config", "config.json",
                         "--artifact-type", "a/b", "--image-spec", "v1.0"}),
                 dir + ":no", "--artifact-type and --config cannot both be provided");
    // With no files, v1.0 has no layers where v1.1 has the empty one; the type reported is the
    // config's, as oras reports a v1.0 pack.
    const auto bare = s.oras({"push", "--oci-layout", dir + ":bare", "--config",
                              "config.json:application/vnd.test.config", "--no-tty"});
    ASSERT_OK(bare);
    EXPECT_NE(bare.out.find("ArtifactType: application/vnd.test.config\n"), std::string::npos)
        << bare.out;
    EXPECT_NE(bare.err.find("Uploading empty artifact\n"), std::string::npos) << bare.err;
    // attach: annotations only, as oras once the subject is found; never before an error.
    const auto noted = s.oras({"attach", "--oci-layout", dir + ":bare", "--artifact-type",
                               "doc/note", "-a", "k=v", "--no-tty"});
    ASSERT_OK(noted);
    EXPECT_NE(noted.err.find("Uploading empty artifact\n"), std::string::npos) << noted.err;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"attach", "--oci-layout", dir + ":bare", "--artifact-type", "doc/note", "--no-tty"},
             {"attach", "--oci-layout", dir + ":absent", "--artifact-type", "doc/note", "-a", "k=v",
              "--no-tty"}}) {
        const auto refused = s.oras(args);
        EXPECT_NE(refused.exit_code, 0) << refused.err;
        EXPECT_EQ(refused.err.find("empty artifact"), std::string::npos) << refused.err;
    }
    m = manifest_of("bare");
    EXPECT_TRUE(m.at("layers").as_array().empty());
    EXPECT_FALSE(m.contains("artifactType"));
    // With an artifact type, v1.1 as before.
    const auto typed =
        s.oras({"push", "--oci-layout", dir + ":typed", "hi.txt", "--config", "config.json",
                "--artifact-type", "application/vnd.test.type", "--no-tty"});
    ASSERT_OK(typed);
    EXPECT_EQ(typed.err.find("empty artifact"), std::string::npos) << typed.err;
    EXPECT_EQ(str(manifest_of("typed").at("artifactType")), "application/vnd.test.type");

    // --artifact-platform: the platform as an image config, so that --platform picks it.
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":arm", "--artifact-platform", "linux/arm/v5",
                      "hi.txt", "--no-tty"}));
    m = manifest_of("arm");
    EXPECT_EQ(str(m.at("artifactType")), "application/vnd.unknown.artifact.v1");
    const auto& config = m.at("config").as_object();
    EXPECT_EQ(str(config.at("mediaType")), "application/vnd.oci.image.config.v1+json");
    const std::string platform_json = R"({"architecture":"arm","os":"linux","variant":"v5"})";
    EXPECT_EQ(str(config.at("digest")), oras::digest::of(platform_json).str());
    EXPECT_OK(s.oras({"pull", "--oci-layout", dir + ":arm", "--platform", "linux/arm/v5", "-o",
                      (s.scratch / "arm").string(), "--no-tty"}));
    EXPECT_EQ(read_file(s.scratch / "arm" / "hi.txt"), "hi\n");
    const auto other = s.oras({"pull", "--oci-layout", dir + ":arm", "--platform", "linux/arm64",
                               "-o", (s.scratch / "arm64").string(), "--no-tty"});
    EXPECT_NE(other.exit_code, 0) << dump(other);
    expect_error(s.oras({"push", "--oci-layout", dir + ":no", "hi.txt", "--config", "config.json",
                         "--artifact-type", "a/b", "--artifact-platform", "linux/amd64"}),
                 dir + ":no", "--config, --artifact-platform cannot be used at the same time");
    expect_error(
        s.oras({"push", "--oci-layout", dir + ":no", "hi.txt", "--artifact-platform", "/amd64"}),
        dir + ":no", "the OS cannot be empty");

    // v1.0 takes a platform, but then no artifact type.
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":arm10", "--artifact-platform", "linux/arm/v5",
                      "--image-spec", "v1.0", "hi.txt", "--no-tty"}));
    m = manifest_of("arm10");
    EXPECT_FALSE(m.contains("artifactType"));
    EXPECT_EQ(str(m.at("config").at("digest")), oras::digest::of(platform_json).str());
    expect_error(s.oras({"push", "--oci-layout", dir + ":no", "hi.txt", "--artifact-platform",
                         "linux/arm/v5", "--image-spec", "v1.0", "--artifact-type", "a/b"}),
                 dir + ":no", "artifact type cannot be set");

    // FILE: is the file with the default type.
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":colon", "hi.txt:", "--no-tty"}));
    m = manifest_of("colon");
    EXPECT_EQ(str(m.at("layers").as_array()[0].at("mediaType")),
              "application/vnd.oci.image.layer.v1.tar");
    EXPECT_EQ(
        str(m.at("layers").as_array()[0].at("annotations").at("org.opencontainers.image.title")),
        "hi.txt");
    // Nothing refused was tagged.
    const auto tags = s.oras({"repo", "tags", "--oci-layout", dir});
    ASSERT_OK(tags);
    EXPECT_EQ(tags.out.find("no\n"), std::string::npos) << tags.out;
}

TEST(cli, pulled_and_fetched_files_take_their_mode_from_the_umask) {
    sandbox s;
    s.make_content();
    const auto layout = s.root / "layout";
    ASSERT_OK(s.oras({"push", "--oci-layout", layout.string() + ":v1", "a.txt", "data.bin",
                      "--format", "json"}));
    for (const mode_t mask : {mode_t{022}, mode_t{027}, mode_t{077}}) {
        SCOPED_TRACE(mask);
        const auto out = s.scratch / ("umask-" + std::to_string(mask));
        // The child takes the umask it is started with.
        const mode_t old = ::umask(mask);
        const auto pulled =
            s.oras({"pull", "--oci-layout", layout.string() + ":v1", "-o", out.string()});
        const auto manifest = s.oras({"manifest", "fetch", "--oci-layout", layout.string() + ":v1",
                                      "--output", (out / "manifest.json").string()});
        ::umask(old);
        ASSERT_OK(pulled);
        ASSERT_OK(manifest);
        for (const char* name : {"a.txt", "data.bin", "manifest.json"}) {
            SCOPED_TRACE(name);
            const auto perms = fs::status(out / name).permissions();
            EXPECT_EQ(static_cast<mode_t>(perms) & 0777, 0666 & ~mask);
        }
    }
}

TEST(cli, version_names_the_release_and_its_parts) {
    sandbox s;
    const auto r = s.oras({"version"});
    ASSERT_OK(r);
    // As oras: arguments are warned about and ignored.
    const auto extra = s.oras({"version", "a", "b"});
    ASSERT_OK(extra);
    EXPECT_EQ(extra.out, r.out);
    EXPECT_EQ(s.oras({"version", "--bogus"}).exit_code, 1);  // a flag is still refused
    EXPECT_EQ(extra.err,
              "warning: `oras-cpp version` requires no argument, \"a,b\" will be ignored\n");
    // `tag list` is pointed to `repo tags`, as oras points it; a tag command with no tags fails.
    expect_error(s.oras({"tag", "list"}), "list", "oras-cpp repo tags");
    expect_error(s.oras({"tag", "--oci-layout", (s.scratch / "none").string() + ":v1"}),
                 (s.scratch / "none").string() + ":v1", "name the tags to add");
    EXPECT_NE(r.out.find("Version:        " ORAS_VERSION_STRING "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("OpenSSL:        OpenSSL 3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Boost:          1."), std::string::npos) << r.out;
}

// `-o PATH` writes what PATH names: through a symbolic link (the link stays), into a pipe or a
// device (never replaced by a regular file: as root, `-o /dev/null` would replace the device),
// over a file whose mode stays.
TEST(cli_commands, an_output_path_is_written_through_links_pipes_and_modes) {
    sandbox s;
    write_file(s.work / "hi.txt", "hello\n");
    const auto dir = (s.scratch / "layout").string();
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":v1", "hi.txt", "--no-tty"}));
    const auto manifest = s.oras({"manifest", "fetch", "--oci-layout", dir + ":v1"});
    ASSERT_OK(manifest);
    const auto fetch_to = [&](const std::filesystem::path& out) {
        return s.oras({"manifest", "fetch", "--oci-layout", dir + ":v1", "-o", out.string()});
    };

    const auto real = s.scratch / "real.json";
    write_file(real, "old");
    ::chmod(real.c_str(), 0751);  // not what a new file gets under any usual umask
    const auto link = s.scratch / "link.json";
    std::filesystem::create_symlink("real.json", link);
    ASSERT_OK(fetch_to(link));
    EXPECT_TRUE(std::filesystem::is_symlink(link));
    EXPECT_EQ(read_file(real), manifest.out);
    struct stat st {};
    ASSERT_EQ(::stat(real.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0751u);  // the replaced file's mode is kept
    const auto dangling = s.scratch / "dangling.json";
    std::filesystem::create_symlink("made.json", dangling);
    ASSERT_OK(fetch_to(dangling));
    EXPECT_TRUE(std::filesystem::is_symlink(dangling));
    EXPECT_EQ(read_file(s.scratch / "made.json"), manifest.out);

    const auto fifo = s.scratch / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Opened for reading first (without waiting for a writer), so that the writer's open and
    // its few hundred bytes complete into the pipe's buffer.
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(reader, 0);
    ASSERT_OK(fetch_to(fifo));
    std::string got(64 * 1024, '\0');
    const auto n = ::read(reader, got.data(), got.size());
    ::close(reader);
    got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    EXPECT_EQ(got, manifest.out);
    ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    // `-o /dev/stdout` with stdout on a file: that file (the shell's) is written, not replaced
    // by another under its name.
    const auto redirected = s.scratch / "redirected.json";
    write_file(redirected, "");
    struct stat before {};
    ASSERT_EQ(::stat(redirected.c_str(), &before), 0);
    const auto via_stdout = oras::test::run_process(
        {"/bin/sh", "-c",
         std::string(ORAS_CPP_BINARY) + " manifest fetch --oci-layout '" + dir
             + ":v1' -o /dev/stdout > '" + redirected.string() + "'"});
    ASSERT_EQ(via_stdout.exit_code, 0) << via_stdout.err;
    ASSERT_EQ(::stat(redirected.c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, before.st_ino);
    EXPECT_EQ(read_file(redirected), manifest.out);

    // A pull that fails takes back the output directories it made (left empty).
    for (const auto& e : std::filesystem::directory_iterator(dir + "/blobs/sha256")) {
        if (std::filesystem::file_size(e.path()) == 6) {  // hi.txt, "hello\n"
            write_file(e.path(), "HELLO\n");
        }
    }
    const auto failed = s.oras({"pull", "--oci-layout", dir + ":v1", "-o",
                                (s.scratch / "new" / "deep").string(), "--no-tty"});
    EXPECT_NE(failed.exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(s.scratch / "new")) << failed.err;
    // A directory is refused, naming it.
    const auto refused = fetch_to(s.scratch);
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("Is a directory"), std::string::npos) << refused.err;
}

TEST(cli_commands, the_same_commands_on_an_oci_layout) {
    sandbox s;
    write_file(s.work / "hi.txt", "hello, layout\n");
    write_file(s.work / "sig.txt", "sig\n");
    const auto dir = (s.scratch / "layout").string();
    ASSERT_OK(s.oras({"push", "--oci-layout", dir + ":v1", "hi.txt", "--no-tty"}));
    auto r = s.oras({"resolve", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    const auto subject = trimmed(r.out);

    r = s.oras({"attach", "--oci-layout", "--artifact-type", "application/vnd.test.sig",
                dir + ":v1", "sig.txt", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Attached to [oci-layout] " + dir + "@" + subject), std::string::npos)
        << r.out;
    // A descriptor as oras prints it: compact without a newline, indented with one.
    r = s.oras({"manifest", "fetch", "--descriptor", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("{\"mediaType\":") && r.out.ends_with("}")) << r.out;
    r = s.oras({"manifest", "fetch", "--descriptor", "--pretty", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("{\n  \"mediaType\": ") && r.out.ends_with("}\n")) << r.out;
    // The tree shows each referrer's annotations, unless --verbose=false, as oras's.
    r = s.oras({"discover", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("[annotations]"), std::string::npos) << r.out;
    r = s.oras({"discover", "--oci-layout", dir + ":v1", "--verbose=false"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out.find("[annotations]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("application/vnd.test.sig"), std::string::npos) << r.out;
    // A list of tags where one manifest is meant is refused, never cut to its first tag; a new
    // layout the refused command would have made is not left behind.
    r = s.oras(
        {"blob", "push", "--oci-layout", (s.scratch / "new-layout").string() + ":a,b", "hi.txt"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("name one tag"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(s.scratch / "new-layout"));
    for (const std::vector<std::string>& args : {std::vector<std::string>{"resolve"},
                                                 {"discover"},
                                                 {"manifest", "fetch"},
                                                 {"manifest", "fetch-config"},
                                                 {"manifest", "delete", "--force"}}) {
        auto line = args;
        line.insert(line.end(), {"--oci-layout", dir + ":v1,v2"});
        r = s.oras(line);
        EXPECT_NE(r.exit_code, 0) << args[0];
        EXPECT_NE(r.err.find("name one tag, not a list of 2 (\"v1,v2\")"), std::string::npos)
            << r.err;
    }
    r = s.oras({"discover", "--oci-layout", dir + ":v1", "--format", "json"});
    ASSERT_OK(r);
    const auto tree = parse_object(r.out);
    ASSERT_EQ(tree.at("referrers").as_array().size(), 1u) << r.out;
    EXPECT_EQ(str(tree.at("referrers").as_array()[0].at("artifactType")),
              "application/vnd.test.sig");

    ASSERT_OK(s.oras({"tag", "--oci-layout", dir + ":v1", "v2"}));
    r = s.oras({"repo", "tags", "--oci-layout", dir});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "v1\nv2\n");

    r = s.oras({"manifest", "fetch", "--oci-layout", dir + ":v2"});
    ASSERT_OK(r);
    EXPECT_EQ(oras::digest::of(r.out).str(), subject);
    const auto manifest = parse_object(r.out);
    const auto layer = str(manifest.at("layers").as_array()[0].at("digest"));
    ASSERT_OK(s.oras({"blob", "fetch", "--oci-layout", "-o", (s.scratch / "hi.out").string(),
                      dir + "@" + layer, "--no-tty"}));
    EXPECT_EQ(read_file(s.scratch / "hi.out"), "hello, layout\n");

    write_file(s.scratch / "m.json", r.out);
    ASSERT_OK(
        s.oras({"manifest", "push", "--oci-layout", dir + ":v3", (s.scratch / "m.json").string()}));
    r = s.oras({"resolve", "--oci-layout", dir + ":v3"});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), subject);
    r = s.oras({"blob", "push", "--oci-layout", dir, "sig.txt"});
    ASSERT_OK(r);
    const auto sig_blob = oras::digest::of(std::string_view("sig\n")).str();
    EXPECT_NE(r.out.find("Digest: " + sig_blob), std::string::npos) << r.out;

    // Deletes: the manifest with every tag on it, then a blob.
    r = s.oras({"manifest", "delete", "--oci-layout", "-f", dir + ":v3"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Deleted [oci-layout] " + dir + ":v3\n");
    for (const auto* tag : {":v1", ":v2", ":v3"}) {
        expect_error(s.oras({"resolve", "--oci-layout", dir + tag}), dir + tag, "");
    }
    r = s.oras({"blob", "delete", "--oci-layout", "-f", dir + "@" + sig_blob});
    ASSERT_OK(r);
    EXPECT_FALSE(fs::exists(fs::path(dir) / "blobs/sha256" / sig_blob.substr(7)));
    r = s.oras({"blob", "delete", "--oci-layout", "-f", dir + "@" + sig_blob});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Missing " + dir + "@" + sig_blob + "\n");
}

// `--oci-layout-path DIR`: the whole positional argument is a reference inside the layout, as the
// ORAS docs' examples use it (`oras push example.com:test hi.txt --oci-layout-path layout-dir`).
TEST(cli_commands, oci_layout_path_takes_the_reference_whole) {
    sandbox s;
    write_file(s.work / "hi.txt", "hello, layout\n");
    write_file(s.work / "sig.txt", "sig\n");
    const auto dir = (s.scratch / "layout-dir").string();
    ASSERT_OK(s.oras({"push", "example.com:test", "hi.txt", "--oci-layout-path", dir, "--no-tty"}));
    const auto index = parse_object(read_file(fs::path(dir) / "index.json"));
    ASSERT_EQ(index.at("manifests").as_array().size(), 1u);
    EXPECT_EQ(str(index.at("manifests")
                      .as_array()[0]
                      .at("annotations")
                      .at("org.opencontainers.image.ref.name")),
              "example.com:test");

    auto r = s.oras({"resolve", "example.com:test", "--oci-layout-path", dir});
    ASSERT_OK(r);
    const auto subject = trimmed(r.out);
    const auto out = s.scratch / "out";
    ASSERT_OK(s.oras(
        {"pull", "example.com:test", "--oci-layout-path", dir, "-o", out.string(), "--no-tty"}));
    EXPECT_EQ(read_file(out / "hi.txt"), "hello, layout\n");
    r = s.oras({"manifest", "fetch", "example.com:test", "--oci-layout-path", dir});
    ASSERT_OK(r);
    EXPECT_EQ(oras::digest::of(r.out).str(), subject);
    write_file(s.scratch / "m.json", r.out);

    ASSERT_OK(s.oras({"attach", "--artifact-type", "doc/example", "--oci-layout-path", dir,
                      "example.com:test", "sig.txt", "--no-tty"}));
    r = s.oras({"discover", "example.com:test", "--oci-layout-path", dir, "--format", "json"});
    ASSERT_OK(r);
    EXPECT_EQ(parse_object(r.out).at("referrers").as_array().size(), 1u) << r.out;

    // Several names at once, a tag and a digest as the reference, `manifest push`.
    ASSERT_OK(s.oras({"push", "localhost:5000/hello:v1,latest", "hi.txt", "--oci-layout-path", dir,
                      "--no-tty"}));
    ASSERT_OK(s.oras({"tag", "--oci-layout-path", dir, "example.com:test", "example.com:v2"}));
    r = s.oras({"manifest", "push", "example.com:v3", (s.scratch / "m.json").string(),
                "--oci-layout-path", dir});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Pushed: [oci-layout] example.com:v3\n"), std::string::npos) << r.out;
    for (const auto* name : {"example.com:v2", "example.com:v3", subject.c_str()}) {
        r = s.oras({"resolve", name, "--oci-layout-path", dir});
        ASSERT_OK(r);
        EXPECT_EQ(trimmed(r.out), subject) << name;
    }

    // An index updated by digest: the layout is named by its path, as `--oci-layout DIR@DIGEST`
    // names it, never by the digest of the index left as it was.
    ASSERT_OK(s.oras({"manifest", "index", "create", "--oci-layout-path", dir, "example.com:idx",
                      "example.com:test"}));
    r = s.oras({"resolve", "example.com:idx", "--oci-layout-path", dir});
    ASSERT_OK(r);
    const auto old_index = trimmed(r.out);
    r = s.oras({"manifest", "index", "update", "--oci-layout-path", dir, old_index, "--add",
                "localhost:5000/hello:v1"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Pushed    [oci-layout] " + dir + "\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Pushed    [oci-layout] " + old_index), std::string::npos) << r.out;

    // `repo tags` with a repository lists that repository's names, without the prefix.
    ASSERT_OK(s.oras({"tag", "--oci-layout-path", dir, "example.com:test",
                      "localhost:5000/hello:sha256-" + std::string(64, 'a')}));
    r = s.oras({"repo", "tags", "--oci-layout-path", dir, "localhost:5000/hello"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "sha256-" + std::string(64, 'a') + "\nv1\n");  // sorted, as oras-go lists
    r = s.oras({"repo", "tags", "--oci-layout-path", dir, "localhost:5000/hello",
                "--exclude-digest-tags"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "v1\n");
    r = s.oras({"repo", "tags", "--oci-layout", dir});
    ASSERT_OK(r);
    EXPECT_EQ(r.out,
              "example.com:idx\nexample.com:test\nexample.com:v2\nexample.com:v3\nlatest\n"
              "localhost:5000/hello:sha256-"
                  + std::string(64, 'a') + "\nlocalhost:5000/hello:v1\n");

    // Between two layouts.
    const auto copy = (s.scratch / "copy").string();
    r = s.oras({"cp", "--from-oci-layout-path", dir, "example.com:test", "--to-oci-layout-path",
                copy, "mirror.example/app:v9,x/y:v10", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("=> [oci-layout] mirror.example/app:v9\nTagged x/y:v10\n"),
              std::string::npos)
        << r.out;
    r = s.oras({"resolve", "mirror.example/app:v9", "--oci-layout-path", copy});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), subject);

    // Refused before anything is written: both forms at once, a name no layout may hold, a
    // malformed digest.
    const auto fresh = (s.scratch / "fresh").string();
    r = s.oras({"push", "--oci-layout", fresh + ":v1", "--oci-layout-path", fresh, "hi.txt"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--oci-layout excludes --oci-layout-path"), std::string::npos) << dump(r);
    expect_error(s.oras({"push", "bad name", "hi.txt", "--oci-layout-path", fresh}), "bad name",
                 "neither a tag nor");
    expect_error(s.oras({"push", "a//b", "hi.txt", "--oci-layout-path", fresh}), "a//b",
                 "neither a tag nor");
    // A name that would be read back as a (malformed) digest is not stored as a name.
    expect_error(s.oras({"push", "sha256:v1", "hi.txt", "--oci-layout-path", fresh}), "sha256:v1",
                 "invalid digest");
    EXPECT_FALSE(fs::exists(fresh));
    expect_error(s.oras({"resolve", "sha256:abc", "--oci-layout-path", dir}), "sha256:abc",
                 "invalid digest");
    expect_error(s.oras({"tag", "--oci-layout-path", dir, "example.com:test", "sha256:x"}),
                 "example.com:test", "read as a digest");
}

// `--format go-template` as the ORAS docs use it: the template runs over the JSON output, is
// checked before anything is written, and goes with --template only.
TEST(cli_commands, go_template_formats_what_json_would_print) {
    sandbox s;
    write_file(s.work / "hi.txt", "hello, template\n");
    write_file(s.work / "sig.txt", "sig\n");
    const auto dir = (s.scratch / "layout").string();
    auto r = s.oras({"push", "--oci-layout", dir + ":v1", "hi.txt", "--no-tty", "--format",
                     "go-template={{.digest}}"});
    ASSERT_OK(r);
    const auto digest = r.out;
    ASSERT_TRUE(digest.starts_with("sha256:")) << r.out;
    r = s.oras({"resolve", "--oci-layout", dir + ":v1"});
    EXPECT_EQ(trimmed(r.out), digest);
    r = s.oras({"push", "--oci-layout", dir + ":v2", "hi.txt", "--no-tty", "--format",
                "go-template", "--template", "{{.reference}}, {{.mediaType}}"});
    ASSERT_OK(r);
    const auto v2 = trimmed(s.oras({"resolve", "--oci-layout", dir + ":v2"}).out);
    EXPECT_EQ(r.out, dir + "@" + v2 + ", application/vnd.oci.image.manifest.v1+json");
    ASSERT_OK(s.oras({"attach", "--artifact-type", "doc/example", "--oci-layout", dir + ":v1",
                      "sig.txt", "--no-tty"}));
    r = s.oras({"discover", "--oci-layout", dir + ":v1", "--format", "go-template", "--template",
                "{{range .referrers}}{{.artifactType}}{{\"\\n\"}}{{end}}"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "doc/example\n");
    r = s.oras({"manifest", "fetch", "--oci-layout", dir + ":v1", "--format",
                "go-template={{.content.config.mediaType}} {{len .content.layers}}"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "application/vnd.oci.empty.v1+json 1");
    r = s.oras({"repo", "tags", "--oci-layout", dir, "--format", "go-template", "--template",
                "{{.tags}}"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "[v1 v2]");
    const auto out = s.scratch / "out";
    r = s.oras({"pull", "--oci-layout", dir + ":v1", "-o", out.string(), "--no-tty", "--format",
                "go-template={{(first .files).path}}"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, (out / "hi.txt").string());

    // Refused before anything is done: no template, a template without go-template, one that
    // does not parse (nothing pushed); a template that fails as it runs fails the command.
    expect_error(s.oras({"repo", "tags", "--oci-layout", dir, "--format", "go-template"}), dir,
                 "no template given");
    expect_error(s.oras({"repo", "tags", "--oci-layout", dir, "--template", "{{.tags}}"}), dir,
                 "--template must be used with --format go-template");
    expect_error(s.oras({"push", "--oci-layout", dir + ":v3", "hi.txt", "--format",
                         "go-template={{.digest"}),
                 dir + ":v3", "unclosed action");
    expect_error(s.oras({"push", "--oci-layout", dir + ":v3", "hi.txt", "--format",
                         "go-template={{toYaml .}}"}),
                 dir + ":v3", "function \"toYaml\" not defined");
    expect_error(s.oras({"resolve", "--oci-layout", dir + ":v3"}), dir + ":v3", "v3");
    expect_error(
        s.oras({"repo", "tags", "--oci-layout", dir, "--format", "go-template={{.tags.x}}"}), dir,
        "can't evaluate field x");
    r = s.oras({"repo", "tags", "--oci-layout", dir, "--format", "yaml"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("invalid format type: \"yaml\""), std::string::npos) << dump(r);
}

// Command lines as the ORAS docs write them: aliases, short and deprecated flags, exit codes.
TEST(cli_commands, oras_command_lines_are_taken_as_oras_takes_them) {
    sandbox s;
    write_file(s.work / "hi.txt", "hello\n");
    write_file(s.work / "sig.txt", "sig\n");
    write_file(s.work / "config.json", R"({"c":1})");
    const auto dir = (s.scratch / "layout").string();

    // Usage errors exit 1, as every oras error does.
    auto r = s.oras({"nosuch"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("unknown command \"nosuch\""), std::string::npos) << r.err;
    r = s.oras({"push", "--nosuchflag", dir});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    r = s.oras({"--help"});
    EXPECT_EQ(r.exit_code, 0) << dump(r);

    // The deprecated -v is taken, with oras's warning.
    r = s.oras({"push", "-v", "--oci-layout", dir + ":v1", "hi.txt", "--config",
                "config.json:application/vnd.test.config", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_NE(r.err.find("Flag --verbose has been deprecated"), std::string::npos) << r.err;
    ASSERT_OK(s.oras({"attach", "--oci-layout", "--artifact-type", "application/vnd.test.sig",
                      dir + ":v1", "sig.txt", "--no-tty"}));
    r = s.oras({"discover", "--oci-layout", "-o", "json", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_NE(r.err.find("--output is deprecated"), std::string::npos) << r.err;
    // The deprecated spelling and the new one are not mixed, as in oras.
    const auto both =
        s.oras({"discover", "--oci-layout", "-o", "json", "--format", "tree", dir + ":v1"});
    EXPECT_NE(both.exit_code, 0);
    EXPECT_NE(both.err.find("--format and --output cannot be used at the same time"),
              std::string::npos)
        << both.err;
    const auto referrer = str(parse_object(r.out).at("referrers").as_array().at(0).at("digest"));

    // pull -k, --include-subject, --config PATH[:TYPE]; -T is refused, saying why.
    const auto out = s.scratch / "out";
    r = s.oras({"pull", "-k", "--include-subject", "--config", "got/config.json", "--oci-layout",
                dir + "@" + referrer, "-o", out.string(), "--no-tty"});
    ASSERT_OK(r);
    EXPECT_EQ(read_file(out / "sig.txt"), "sig\n");
    EXPECT_EQ(read_file(out / "hi.txt"), "hello\n");      // the subject's
    EXPECT_EQ(read_file(out / "got/config.json"), "{}");  // the first config met: the referrer's
    r = s.oras({"pull", "--oci-layout", dir + ":v1", "-o", (s.scratch / "cfg").string(), "--config",
                "c.json:application/vnd.test.config", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_EQ(read_file(s.scratch / "cfg/c.json"), R"({"c":1})");
    r = s.oras({"pull", "-k", "--oci-layout", dir + ":v1", "-o", out.string(), "--no-tty"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);  // hi.txt is there, and kept
    r = s.oras({"pull", "-T", "--oci-layout", dir + ":v1", "-o", (s.scratch / "t").string()});
    expect_error(r, dir + ":v1", "--allow-path-traversal is not supported");

    // tag --concurrency; the aliases repository, manifest show, manifest/blob remove.
    ASSERT_OK(s.oras({"tag", "--concurrency", "2", "--oci-layout", dir + ":v1", "a", "b", "c"}));
    r = s.oras({"repository", "show-tags", "--oci-layout", dir});
    ASSERT_OK(r);
    std::vector<std::string> listed;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        listed.push_back(line);
    }
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(listed, (std::vector<std::string>{"a", "b", "c", "v1"}));
    r = s.oras({"manifest", "show", "--oci-layout", dir + ":a"});
    ASSERT_OK(r);
    const auto fetched = s.oras({"manifest", "fetch", "--oci-layout", dir + ":a"});
    EXPECT_EQ(r.out, fetched.out);
    const auto blob = oras::digest::of(std::string_view("sig\n")).str();
    r = s.oras(
        {"manifest", "fetch", "--oci-layout", dir + ":a", "--output", "-", "--format", "json"});
    expect_error(r, dir + ":a", "cannot be used with `--format json`");
    // A file that is not there, or not a file, is named for what it is.
    r = s.oras({"blob", "push", "--oci-layout", dir, "nosuch.bin"});
    expect_error(r, dir, "the blob file \"nosuch.bin\" does not exist");
    r = s.oras({"manifest", "push", "--oci-layout", dir + ":m", s.scratch.string()});
    expect_error(r, dir + ":m", "is a directory, not a file");
    ASSERT_OK(s.oras({"blob", "remove", "-f", "--oci-layout", dir + "@" + blob}));
    ASSERT_OK(s.oras({"manifest", "remove", "-f", "--oci-layout", dir + ":a"}));
    expect_error(s.oras({"resolve", "--oci-layout", dir + ":v1"}), dir + ":v1", "not found");
}

TEST(cli_commands, bash_completion_completes_commands_subcommands_and_flags) {
    sandbox s;
    auto r = s.oras({"completion", "bash"});
    ASSERT_OK(r);
    write_file(s.root / "oras.bash", r.out);
    const auto complete = [&](const std::string& words) {
        const auto script = "source " + (s.root / "oras.bash").string() + "; COMP_WORDS=(" + words
                            + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _oras_cpp; echo "
                              "\"${COMPREPLY[*]}\"";
        const auto p =
            oras::test::run_process({"bash", "-c", script}, {}, std::chrono::seconds{10});
        EXPECT_EQ(p.exit_code, 0) << p.err;
        return trimmed(p.out);
    };
    EXPECT_EQ(complete("oras-cpp at"), "attach");
    EXPECT_EQ(complete("oras-cpp manifest fetch"), "fetch fetch-config");
    EXPECT_EQ(complete("oras-cpp repo ''"), "ls list tags show-tags --help");
    EXPECT_EQ(complete("oras-cpp attach --artifact-t"), "--artifact-type");
    EXPECT_EQ(complete("oras-cpp manifest fetch --desc"), "--descriptor");
    EXPECT_EQ(complete("oras-cpp blob delete -"), complete("oras-cpp blob rm -"));
    r = s.oras({"completion", "zsh"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("#compdef oras-cpp\n")) << r.out;
    const auto bad = s.oras({"completion", "powershell"});  // a usage error
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_EQ(bad.out, "");
    EXPECT_NE(bad.err.find("powershell"), std::string::npos) << bad.err;
}

// The fish script, run by fish (installed by scripts/setup.sh): `complete -C` lists what a
// <Tab> would offer, with descriptions after a tab.
TEST(cli_commands, fish_completion_completes_commands_subcommands_and_flags) {
    sandbox s;
    auto r = s.oras({"completion", "fish"});
    ASSERT_OK(r);
    write_file(s.root / "oras.fish", r.out);
    const auto complete = [&](const std::string& line) {
        const auto script = "source " + (s.root / "oras.fish").string() + "; complete -C '" + line
                            + "' | string replace -r '\\t.*' ''; true";  // 1: none replaced
        const auto p =
            oras::test::run_process({"fish", "-c", script}, {}, std::chrono::seconds{10});
        EXPECT_EQ(p.exit_code, 0) << p.err;
        EXPECT_EQ(p.err, "");
        return trimmed(p.out);
    };
    EXPECT_EQ(complete("oras-cpp at"), "attach");
    EXPECT_EQ(complete("oras-cpp manifest fetch"), "fetch\nfetch-config");
    EXPECT_EQ(complete("oras-cpp repo "), "list\nls\nshow-tags\ntags");
    EXPECT_EQ(complete("oras-cpp attach --artifact-t"), "--artifact-type");
    EXPECT_EQ(complete("oras-cpp -d manifest fetch --desc"), "--descriptor");
    EXPECT_EQ(complete("oras-cpp blob delete -"), complete("oras-cpp blob rm -"));
    // Past the command and its flags: files.
    write_file(s.work / "hello.txt", "hi");
    EXPECT_EQ(complete("oras-cpp push -a k=v r/x:v1 " + (s.work / "hel").string()),
              (s.work / "hello.txt").string());
}

// The check that runs with every CLI test: any password or token the harness handed out, in
// anything the CLI printed or any file it left besides the credentials store, fails the test.
TEST(cli_commands, the_secrets_check_catches_a_leak) {
    oras::test::note_secret("leaky-secret-4711");
    // An invalid reference is quoted in the error line: here that quotes the "secret".
    EXPECT_NONFATAL_FAILURE(
        {
            sandbox s;
            s.oras({"resolve", "leaky-secret-4711"});
        },
        "printed a secret");
    EXPECT_NONFATAL_FAILURE(
        {
            sandbox s;
            write_file(s.work / "notes.txt", "token: leaky-secret-4711\n");
        },
        "notes.txt");
}

TEST(cli, usage_errors_are_one_error_line_and_exit_1) {
    sandbox s;
    for (const auto& [args, said] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"cp", "--bogus", "a", "b"}, "Error: unknown flag: --bogus\n"},
             {{"attach", "reg.example/repo:v1", "a.txt"},
              "Error: required flag(s) \"artifact-type\" not set\n"},
             {{"push"}, "Error: reference is required\n"},
             {{"pull", "--concurrency", "abc", "reg.example/repo:v1"},
              "Error: invalid argument \"abc\" for \"--concurrency\" flag\n"},
             {{"discover", "--depth", "0", "reg.example/repo:v1"},
              "Error: --depth: depth value should be at least 1\n"}}) {
        const auto r = s.oras(args);
        EXPECT_EQ(r.exit_code, 1) << dump(r);
        EXPECT_EQ(r.out, "") << dump(r);
        EXPECT_EQ(r.err, said) << dump(r);
    }
}

}  // namespace
