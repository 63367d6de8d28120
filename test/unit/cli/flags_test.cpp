// The command line's flags, parsed without running anything: every command is registered with
// the ORAS CLI's name and arguments, repeatable flags take one value per occurrence and never
// swallow positionals, values are checked, and every command has --debug and an example.
#include "cli/app.hpp"
#include "cli/display/man.hpp"
#include "cli/options/remote.hpp"
#include "cli/options/target.hpp"

#include <oras/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

using oras::cli::app;

struct parsed {
    std::unique_ptr<app> a = oras::cli::make_app();
    CLI::App* leaf = nullptr;

    explicit parsed(std::vector<std::string> args) {
        args.insert(args.begin(), "oras-cpp");
        args = oras::cli::split_empty_values(a->cli, std::move(args));  // as run() does
        std::vector<const char*> argv;
        for (const auto& s : args) {
            argv.push_back(s.c_str());
        }
        a->cli.parse(static_cast<int>(argv.size()), argv.data());
        for (const auto& c : a->commands) {
            if (c.app->parsed()) {
                leaf = c.app;
            }
        }
    }

    std::vector<std::string> values(const std::string& name) const {
        return leaf->get_option(name)->results();
    }
    /// The value the command sees (the last, when given twice).
    std::string value(const std::string& name) const {
        const auto* o = leaf->get_option(name);
        return o->count() == 0 ? std::string() : o->as<std::string>();
    }
    bool flag(const std::string& name) const { return leaf->get_option(name)->count() > 0; }
};

using strings = std::vector<std::string>;

bool refused(const std::vector<std::string>& args) {
    try {
        parsed p(args);
        return false;
    } catch (const CLI::ParseError&) {
        return true;
    }
}

// pflag reads `--flag=` as an empty value; CLI11 alone would take the next argument for it.
TEST(cli_flags, an_empty_value_after_equals_is_an_empty_value) {
    const parsed p(
        {"manifest", "index", "update", "--artifact-type=", "r/x:v1", "--add", "sha256:abc"});
    EXPECT_EQ(p.values("--artifact-type"), strings{""});
    EXPECT_EQ(p.value("reference"), "r/x:v1");
    const parsed push({"push", "--artifact-type=", "r/x:v1", "a.txt"});
    EXPECT_EQ(push.values("--artifact-type"), strings{""});
    EXPECT_EQ(push.values("files"), strings{"a.txt"});
    // `-a=k=v` is `-a k=v` (pflag's shorthand form), `-a=` an empty value.
    const parsed shorthand({"push", "-a=k=v", "-a=", "r/x:v1", "a.txt"});
    EXPECT_EQ(shorthand.values("--annotation"), (strings{"k=v", ""}));
    // A flag that takes no value, and what follows `--`, are left as they are.
    EXPECT_TRUE(parsed({"push", "--no-tty=", "r/x:v1", "a.txt"}).flag("--no-tty"));
    EXPECT_EQ(oras::cli::split_empty_values(oras::cli::make_app()->cli,
                                            {"oras-cpp", "push", "r/x:v1", "--", "--annotation="}),
              (strings{"oras-cpp", "push", "r/x:v1", "--", "--annotation="}));
}

// pflag keeps the last value of a flag given twice (a wrapper's default, then the user's);
// a list keeps them all.
TEST(cli_flags, a_value_flag_given_twice_takes_the_last) {
    const parsed push({"push", "--artifact-type", "a/b", "--artifact-type", "c/d", "--concurrency",
                       "2", "--concurrency=7", "-a", "k=1", "-a", "l=2", "r/x:v1", "a.txt"});
    EXPECT_EQ(push.value("--artifact-type"), "c/d");
    EXPECT_EQ(push.value("--concurrency"), "7");
    EXPECT_EQ(push.values("--annotation"), (strings{"k=1", "l=2"}));
    EXPECT_EQ(parsed({"pull", "-o", "a", "-o", "b", "r/x:v1"}).value("--output"), "b");
    EXPECT_EQ(parsed({"discover", "--depth", "2000", "r/x:v1"}).value("--depth"), "2000");
    EXPECT_TRUE(refused({"discover", "--depth", "0", "r/x:v1"}));
    EXPECT_TRUE(refused({"discover", "--depth", "-3", "r/x:v1"}));
    // Only the value taken is checked, as oras checks a flag once parsing is done.
    EXPECT_EQ(parsed({"discover", "--depth", "0", "--depth", "3", "r/x:v1"}).value("--depth"), "3");
    EXPECT_EQ(
        parsed({"discover", "--format", "bogus", "--format", "json", "r/x:v1"}).value("--format"),
        "json");
    EXPECT_TRUE(refused({"discover", "--format", "json", "--format", "bogus", "r/x:v1"}));
    EXPECT_TRUE(refused({"discover", "--depth", "3", "--depth", "0", "r/x:v1"}));
    // A positional argument too many is still refused, not taken as the last.
    EXPECT_TRUE(refused({"resolve", "r/x:v1", "r/y:v1"}));
}

// pflag sets a boolean shorthand from `-r=false`; CLI11 takes the value in the long form only.
TEST(cli_flags, a_shorthand_flag_takes_a_value_after_equals) {
    const parsed off({"cp", "-r=false", "r/x:v1", "r/y:v1"});
    EXPECT_FALSE(off.leaf->get_option("--recursive")->as<bool>());
    const parsed on({"cp", "-r=true", "r/x:v1", "r/y:v1"});
    EXPECT_TRUE(on.leaf->get_option("--recursive")->as<bool>());
    EXPECT_FALSE(
        parsed({"discover", "-v=false", "r/x:v1"}).leaf->get_option("--verbose")->as<bool>());
    EXPECT_TRUE(
        parsed({"pull", "-k=1", "r/x:v1"}).leaf->get_option("--keep-old-files")->as<bool>());
    EXPECT_TRUE(refused({"cp", "-r=maybe", "r/x:v1", "r/y:v1"}));
    // An option's value is its value, whatever it looks like.
    const parsed login({"login", "-u", "me", "-p", "-d=Xy", "r.example"});
    EXPECT_EQ(login.value("--password"), "-d=Xy");
    EXPECT_FALSE(login.flag("--debug"));
    EXPECT_EQ(parsed({"login", "-u", "me", "--password", "-r=", "r.example"}).value("--password"),
              "-r=");
    EXPECT_EQ(parsed({"push", "-a", "-v=k", "r/x:v1", "a.txt"}).values("--annotation"),
              strings{"-v=k"});
    // In a group, the last letter takes the value after `=`, as pflag reads it.
    const parsed group({"pull", "-kd=false", "r/x:v1"});
    EXPECT_TRUE(group.flag("--keep-old-files"));
    EXPECT_FALSE(group.leaf->get_option("--debug")->as<bool>());
    const parsed group_on({"pull", "-dk=true", "r/x:v1"});
    EXPECT_TRUE(group_on.flag("--debug"));
    EXPECT_TRUE(group_on.leaf->get_option("--keep-old-files")->as<bool>());
    EXPECT_EQ(parsed({"push", "-va=k=v", "r/x:v1", "a.txt"}).values("--annotation"),
              strings{"k=v"});
    // A letter no flag has is still unknown, alone or in a group.
    EXPECT_TRUE(refused({"cp", "-Q=false", "r/x:v1", "r/y:v1"}));
    EXPECT_TRUE(refused({"pull", "-kQ=false", "r/x:v1"}));
}

// ORAS_USER/ORAS_PASS name no registry: offered when a command reaches one, to none when it
// reaches two (a password for one must not go to the other's token service).
TEST(cli_flags, environment_credentials_go_to_one_registry_only) {
    oras::registry::connect_options a, b;
    oras::cli::environment_credentials_for_one_registry({"r.example", "R.Example"}, {&a, &b}, "");
    EXPECT_TRUE(a.credentials.use_environment);
    EXPECT_TRUE(b.credentials.use_environment);
    oras::cli::environment_credentials_for_one_registry({"r.example", "other.example:5000"},
                                                        {&a, &b}, "");
    EXPECT_FALSE(a.credentials.use_environment);
    EXPECT_FALSE(b.credentials.use_environment);
}

TEST(cli_flags, every_oras_command_is_there) {
    auto a = oras::cli::make_app();
    strings names;
    for (const auto& c : a->commands) {
        auto name = c.app->get_name();
        for (auto* p = c.app->get_parent(); p != nullptr && p != &a->cli; p = p->get_parent()) {
            name = p->get_name() + " " + name;
        }
        names.push_back(name);
    }
    for (const auto* want : {"push",
                             "pull",
                             "cp",
                             "mirror",
                             "attach",
                             "discover",
                             "tag",
                             "resolve",
                             "repo ls",
                             "repo tags",
                             "manifest fetch",
                             "manifest fetch-config",
                             "manifest push",
                             "manifest delete",
                             "blob fetch",
                             "blob push",
                             "blob delete",
                             "login",
                             "logout",
                             "version"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    }
}

/// `manifest index create`: the command's name after its groups'.
std::string command_path(const oras::cli::app& a, const CLI::App& cmd) {
    auto path = cmd.get_name();
    for (const auto* g = cmd.get_parent(); g != nullptr && g != &a.cli; g = g->get_parent()) {
        path = g->get_name() + " " + path;
    }
    return path;
}

TEST(cli_flags, every_command_but_version_has_debug_and_an_example) {
    auto a = oras::cli::make_app();
    for (const auto& c : a->commands) {
        if (c.app->get_name() == "version" || c.app->get_name() == "completion") {
            continue;
        }
        const auto path = command_path(*a, *c.app);
        EXPECT_NE(c.app->get_option_no_throw("--debug"), nullptr) << path;
        EXPECT_NE(c.app->get_footer().find("oras-cpp " + path + " "), std::string::npos)
            << path << ": " << c.app->get_footer();
    }
}

TEST(cli_flags, repeatable_flags_take_one_value_and_leave_positionals_alone) {
    {
        parsed p({"push", "reg/repo:v1", "-a", "k1=v1", "a.txt", "--annotation", "k2=v2", "b.txt"});
        EXPECT_EQ(p.values("files"), (strings{"a.txt", "b.txt"}));
        EXPECT_EQ(p.values("--annotation"), (strings{"k1=v1", "k2=v2"}));
    }
    {
        parsed p({"attach", "--artifact-type", "doc/example", "reg/repo:v1", "-a", "k=v", "sig.txt",
                  "sbom.json:application/json"});
        EXPECT_EQ(p.value("reference"), "reg/repo:v1");
        EXPECT_EQ(p.values("files"), (strings{"sig.txt", "sbom.json:application/json"}));
        EXPECT_EQ(p.values("-a"), (strings{"k=v"}));
    }
    {
        parsed p({"pull", "--media-type", "a/b", "reg/repo:v1", "--media-type", "c/d"});
        EXPECT_EQ(p.value("reference"), "reg/repo:v1");
        EXPECT_EQ(p.values("--media-type"), (strings{"a/b", "c/d"}));
    }
    {
        parsed p({"manifest", "fetch", "--media-type", "a/b", "reg/repo:v1"});
        EXPECT_EQ(p.value("reference"), "reg/repo:v1");
    }
    {
        parsed p({"mirror", "--tags", "^v1", "reg/a", "--exclude-tags", "rc", "reg2/b"});
        EXPECT_EQ(p.value("from"), "reg/a");
        EXPECT_EQ(p.value("to"), "reg2/b");
    }
}

TEST(cli_flags, no_flag_of_any_command_takes_more_than_one_value_per_occurrence) {
    const auto one_per_occurrence = [](const CLI::Option* o) {
        return o->get_items_expected_max() == 1 || !o->get_allow_extra_args();
    };
    // The check catches CLI11's default for a list, the bug it guards against.
    CLI::App scratch;
    std::vector<std::string> list;
    EXPECT_FALSE(one_per_occurrence(scratch.add_option("--list", list)));

    auto a = oras::cli::make_app();
    std::size_t audited = 0;
    for (const auto& c : a->commands) {
        for (const auto* o : c.app->get_options()) {
            if (o->get_positional() || o->get_items_expected_max() == 0) {
                continue;  // a positional, or a flag without a value
            }
            ++audited;
            EXPECT_TRUE(one_per_occurrence(o)) << c.app->get_name() << " " << o->get_name();
        }
    }
    EXPECT_GT(audited, 100u);  // every command's valued flags were looked at
}

TEST(cli_flags, positionals_and_their_counts) {
    {
        parsed p({"tag", "reg/repo:v1", "v2", "latest"});
        EXPECT_EQ(p.value("reference"), "reg/repo:v1");
        EXPECT_EQ(p.values("tags"), (strings{"v2", "latest"}));
    }
    EXPECT_FALSE(refused({"tag", "list"}));  // parsed: the command points to `repo tags`
    EXPECT_TRUE(refused({"attach", "reg/repo:v1", "a.txt"}));   // --artifact-type is required
    EXPECT_TRUE(refused({"manifest", "push", "reg/repo:v1"}));  // no file
    EXPECT_TRUE(refused({"blob", "push", "reg/repo"}));
    EXPECT_TRUE(refused({"resolve"}));
    EXPECT_TRUE(refused({"repo"}));  // a subcommand is required
    EXPECT_TRUE(refused({"manifest"}));
    EXPECT_TRUE(refused({"blob"}));
    EXPECT_TRUE(refused({"resolve", "a/b:c", "d/e:f"}));
    {
        parsed p({"blob", "push", "--size", "12", "reg/repo@sha256:00", "-"});
        EXPECT_EQ(p.value("--size"), "12");
        EXPECT_EQ(p.value("file"), "-");
    }
    {
        parsed p({"manifest", "push", "reg/repo:a,b", "-", "--media-type", "x/y"});
        EXPECT_EQ(p.value("file"), "-");
        EXPECT_EQ(p.value("--media-type"), "x/y");
    }
}

TEST(cli_flags, values_are_checked_while_parsing) {
    EXPECT_FALSE(refused({"discover", "--format", "tree", "r/x:v"}));
    EXPECT_FALSE(refused({"discover", "--format", "table", "r/x:v"}));
    EXPECT_FALSE(refused({"discover", "--format", "json", "--depth", "2", "r/x:v"}));
    EXPECT_TRUE(refused({"discover", "--format", "yaml", "r/x:v"}));
    EXPECT_TRUE(refused({"discover", "--depth", "0", "r/x:v"}));
    EXPECT_FALSE(refused({"attach", "--artifact-type", "a/b", "--distribution-spec",
                          "v1.1-referrers-tag", "r/x:v", "f"}));
    EXPECT_TRUE(
        refused({"attach", "--artifact-type", "a/b", "--distribution-spec", "v1.0", "r/x:v", "f"}));
    EXPECT_TRUE(refused({"push", "--image-spec", "v2", "r/x:v", "f"}));
    EXPECT_TRUE(refused({"push", "--concurrency", "many", "r/x:v", "f"}));
    for (const auto* n : {"0", "-1", "1000"}) {  // as oras: any integer
        EXPECT_FALSE(refused({"push", "--concurrency", n, "r/x:v", "f"})) << n;
        EXPECT_FALSE(refused({"cp", "--concurrency", n, "r/x:v", "r/y:v"})) << n;
    }
    EXPECT_TRUE(refused({"repo", "tags", "--format", "xml", "r/x"}));
    EXPECT_TRUE(refused({"pull", "--no-such-flag", "r/x:v"}));
}

TEST(cli_flags, a_concurrency_of_zero_or_less_is_the_default_and_a_large_one_is_capped) {
    for (const auto& [given, want] : std::vector<std::pair<std::string, std::size_t>>{
             {"7", 7}, {"0", 5}, {"-3", 5}, {"64", 64}, {"1000", oras::cli::max_concurrency}}) {
        CLI::App app;
        std::size_t concurrency = 5;
        oras::cli::add_concurrency(app, concurrency, "Blobs transferred at once");
        app.parse("--concurrency " + given, false);
        EXPECT_EQ(concurrency, want) << given;
    }
}

TEST(cli_flags, the_oras_aliases_and_short_flags) {
    EXPECT_TRUE(parsed({"digest", "r/x:v"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"repo", "list", "reg"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"repo", "show-tags", "r/x"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"manifest", "get", "r/x:v"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"manifest", "get-config", "r/x:v"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"blob", "get", "-o", "-", "r/x@sha256:00"}).leaf != nullptr);
    EXPECT_TRUE(parsed({"manifest", "rm", "-f", "r/x:v"}).flag("--force"));
    EXPECT_TRUE(parsed({"blob", "delete", "-f", "r/x@sha256:00"}).flag("--force"));
    EXPECT_TRUE(parsed({"resolve", "-l", "r/x:v"}).flag("--full-reference"));
    EXPECT_TRUE(parsed({"repo", "tags", "-d", "r/x"}).flag("--debug"));
    const parsed remote({"manifest", "fetch", "-u", "user", "-p", "pass", "--plain-http",
                         "--oci-layout", "--descriptor", "--pretty", "--platform", "linux/arm64",
                         "-o", "out.json", "r/x:v"});
    EXPECT_EQ(remote.value("--username"), "user");
    EXPECT_EQ(remote.value("--output"), "out.json");
    EXPECT_EQ(remote.value("--platform"), "linux/arm64");
    EXPECT_TRUE(remote.flag("--oci-layout"));
}

TEST(cli_flags, header_and_resolve_values) {
    const parsed p({"pull", "-H", "X-A: 1", "reg/x:v", "--header", "X-B:2", "--resolve",
                    "reg:443:127.0.0.1", "--resolve", "reg:80:127.0.0.1:5000"});
    EXPECT_EQ(p.values("--header"), (strings{"X-A: 1", "X-B:2"}));
    EXPECT_EQ(p.values("--resolve"), (strings{"reg:443:127.0.0.1", "reg:80:127.0.0.1:5000"}));
    EXPECT_EQ(p.value("reference"), "reg/x:v");
    const parsed cp(
        {"cp", "--from-header", "X: 1", "--to-resolve", "b:443:10.0.0.1", "a/x:v", "b/x:v"});
    EXPECT_EQ(cp.values("--from-header"), (strings{"X: 1"}));
    EXPECT_EQ(cp.values("--to-resolve"), (strings{"b:443:10.0.0.1"}));

    using oras::cli::parse_header;
    EXPECT_EQ(parse_header("X-Api-Key:  k-1 "),
              (std::pair<std::string, std::string>{"X-Api-Key", "k-1"}));
    EXPECT_EQ(parse_header("X-Empty:"), (std::pair<std::string, std::string>{"X-Empty", ""}));
    EXPECT_EQ(parse_header("X: a:b"), (std::pair<std::string, std::string>{"X", "a:b"}));
    for (const char* bad : {"no-colon", ": value", "  :v", ""}) {
        EXPECT_THROW(parse_header(bad), oras::error) << bad;
    }

    using oras::cli::parse_resolve;
    auto r = parse_resolve("reg.example:443:10.1.2.3");
    EXPECT_EQ(r.host, "reg.example");
    EXPECT_EQ(r.port, 443);
    EXPECT_EQ(r.address, "10.1.2.3");
    EXPECT_EQ(r.address_port, 0);
    r = parse_resolve("reg.example:5000:127.0.0.1:5001");
    EXPECT_EQ(r.address_port, 5001);
    r = parse_resolve("reg.example:443:[::1]:8443");
    EXPECT_EQ(r.address, "::1");
    EXPECT_EQ(r.address_port, 8443);
    EXPECT_EQ(parse_resolve("reg.example:443:[fe80::1]").address, "fe80::1");
    for (const char* bad :
         {"reg.example", "reg.example:443", ":443:10.0.0.1", "reg:https:10.0.0.1", "reg:0:10.0.0.1",
          "reg:70000:10.0.0.1", "reg:443:not-an-ip", "reg:443:10.0.0.1:", "reg:443:10.0.0.1:x",
          "reg:443:[::1", "reg:443:[::1]x", "reg:443:[10.0.0.1]", "reg:443:::1"}) {
        EXPECT_THROW(parse_resolve(bad), oras::error) << bad;
    }
    try {
        parse_resolve("reg:443:nope");
        FAIL();
    } catch (const oras::error& e) {
        EXPECT_NE(std::string(e.what()).find("invalid IP address \"nope\""), std::string::npos)
            << e.what();
    }
}

TEST(cli_flags, the_man_page_has_every_command_and_flag) {
    auto a = oras::cli::make_app();
    const auto page = oras::cli::man_page(a->cli);
    EXPECT_TRUE(page.starts_with(".TH ORAS\\-CPP 1 ")) << page.substr(0, 80);
    const auto troff = [](std::string text) {
        std::string out;
        for (const char c : text) {
            out += c == '-' ? std::string("\\-") : std::string(1, c);
        }
        return out;
    };
    for (const auto& c : a->commands) {
        const auto path = command_path(*a, *c.app);
        const auto section = ".SS \"oras\\-cpp " + troff(path) + "\"";
        const auto at = page.find(section);
        ASSERT_NE(at, std::string::npos) << section;
        const auto end = page.find(".SS ", at + 1);
        const auto body = page.substr(at, end == std::string::npos ? end : end - at);
        for (const auto* o : c.app->get_options()) {
            for (const auto& l : o->get_lnames()) {
                if (l != "help") {
                    EXPECT_NE(body.find("\\fB\\-\\-" + troff(l) + "\\fR"), std::string::npos)
                        << path << " --" << l;
                }
            }
        }
    }
    // No text line may start a troff request by accident.
    std::size_t start = 0;
    while (start < page.size()) {
        const auto nl = page.find('\n', start);
        const auto line = page.substr(start, nl - start);
        if (line.starts_with(".") || line.starts_with("'")) {
            const auto request = line.substr(0, line.find(' '));
            static const std::vector<std::string> known{".TH", ".SH", ".SS", ".PP",
                                                        ".TP", ".B",  ".nf", ".fi"};
            EXPECT_NE(std::find(known.begin(), known.end(), request), known.end()) << line;
        }
        start = nl == std::string::npos ? page.size() : nl + 1;
    }
}

}  // namespace
