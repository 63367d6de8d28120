// oras-cpp repo ls / repo tags: the repositories of a registry, the tags of a repository.
#include "cli/commands/commands.hpp"
#include "cli/display/json.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/manage.hpp>
#include <oras/reference.hpp>
#include <oras/registry/connect.hpp>

#include <boost/json.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct ls_flags {
    std::string target;
    std::string last;
    remote_flags remote;
    common_flags common;
    format_flags format;
};

int run_ls(ls_flags& f) {
    std::string text = f.target;
    while (text.ends_with('/')) {
        text.pop_back();
    }
    const auto slash = text.find('/');
    const auto host = text.substr(0, slash);
    std::string prefix;
    if (slash != std::string::npos) {
        auto ref = reference::parse(text);
        if (!ref) {
            throw error(ref.error());
        }
        if (ref->has_tag() || ref->has_digest()) {
            throw error(errc::invalid_reference,
                        "name a registry or a namespace, not a tag or "
                        "digest");
        }
        prefix = ref->repository() + "/";
    } else if (auto v = validate_registry(host); !v) {
        throw error(v.error());
    }
    f.remote.debug = f.common.debug;
    const auto options = f.remote.remote_for(host);
    boost::asio::io_context io;
    auto client = registry::client_for(io.get_executor(), host, options);
    registry::registry reg(client, host, registry::repository_options_for(options));
    const auto repos = wait(io, ops::list_repositories(reg, prefix, f.last));
    if (f.format.json()) {
        boost::json::array list;
        for (const auto& r : repos) {
            list.emplace_back(r);
        }
        std::cout << pretty(boost::json::object{{"registry", host}, {"repositories", list}});
        return 0;
    }
    for (const auto& r : repos) {
        std::cout << r.substr(prefix.size()) << "\n";
    }
    return 0;
}

struct tags_flags {
    std::string ref;
    std::string last;
    bool exclude_digest_tags = false;
    target_flags target;
    format_flags format;
};

int run_tags(tags_flags& f) {
    // `--oci-layout-path DIR registry/repo` (no tag or digest): the layout's tags under that
    // repository (`registry/repo:TAG`), printed without the prefix, as oras lists them.
    std::string scope;
    auto where = f.target.location(f.ref);
    if (!f.target.oci_layout_path.empty()) {
        if (const auto r = reference::parse(f.ref); r && !r->has_tag() && !r->has_digest()) {
            scope = r->registry() + "/" + r->repository() + ":";
            where.text.clear();
        }
    }
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), where, ops::open_mode::read);
    ops::list_tags_options o{f.last, f.exclude_digest_tags, scope};
    // A tag or digest given: only the tags naming that manifest, each resolved (as oras).
    std::string wanted;
    if (t.tags.size() > 1) {
        throw error(errc::invalid_reference,
                    "name one tag or digest, not " + std::to_string(t.tags.size()) + " tags");
    }
    if (!t.reference.empty()) {
        if (t.tags.empty()) {
            wanted = t.reference;
        } else {
            wanted = wait(io, t.target->resolve(t.reference)).digest.str();
        }
        std::cerr << "[Experimental] querying tags associated to " << wanted
                  << ", it may take a while...\n";
    }
    auto tags = wait(io, ops::list_tags(*t.target, std::move(o)));
    if (!wanted.empty()) {
        std::vector<std::string> naming;
        for (auto& tag : tags) {
            bool names = tag == t.reference;
            try {
                names = names || wait(io, t.target->resolve(tag)).digest.str() == wanted;
            } catch (const error& e) {
                if (e.code() != errc::not_found) {
                    throw;
                }  // deleted since it was listed
            }
            if (names) {
                naming.push_back(std::move(tag));
            }
        }
        tags = std::move(naming);
    }
    if (f.format.json()) {
        boost::json::array list;
        for (const auto& tag : tags) {
            list.emplace_back(tag);
        }
        std::cout << pretty(boost::json::object{{"tags", list}});
        return 0;
    }
    for (const auto& tag : tags) {
        std::cout << tag << "\n";
    }
    return 0;
}

}  // namespace

void add_repo(app& a) {
    auto* repo = a.cli.add_subcommand("repo", "List repositories and tags");
    repo->alias("repository");
    repo->require_subcommand(1);

    auto ls = std::make_shared<ls_flags>();
    auto* cmd = repo->add_subcommand("ls", "List the repositories of a registry");
    cmd->alias("list");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp repo ls localhost:5000\n"
        "  oras-cpp repo ls localhost:5000/example-namespace\n"
        "  oras-cpp repo ls --last last_repo localhost:5000");
    cmd->add_option("registry", ls->target, "REGISTRY[/NAMESPACE]")->required();
    cmd->add_option("--last", ls->last, "Start after this repository");
    ls->remote.add(*cmd);
    ls->common.add(*cmd, false);
    ls->format.add(*cmd, {"text", "json"}, true);
    a.commands.push_back(
        {cmd, [ls] { return run_ls(*ls); }, [ls] { return ls->target; }, &ls->format});

    auto tags = std::make_shared<tags_flags>();
    cmd = repo->add_subcommand("tags", "List the tags of a repository");
    cmd->alias("show-tags");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp repo tags localhost:5000/hello\n"
        "  oras-cpp repo tags --exclude-digest-tags localhost:5000/hello\n"
        "  oras-cpp repo tags --last v1 localhost:5000/hello\n"
        "  oras-cpp repo tags --oci-layout layout-dir\n"
        "  oras-cpp repo tags --oci-layout-path layout-dir localhost:5000/hello");
    cmd->add_option("repository", tags->ref, "REGISTRY/REPOSITORY (or a layout directory)")
        ->required();
    cmd->add_option("--last", tags->last, "Start after this tag");
    cmd->add_flag("--exclude-digest-tags", tags->exclude_digest_tags,
                  "Leave out digest-like tags such as sha256-<hex> (referrers indexes)");
    tags->target.add(*cmd, true, false, false);
    tags->format.add(*cmd, {"text", "json"}, true);
    a.commands.push_back(
        {cmd, [tags] { return run_tags(*tags); }, [tags] { return tags->ref; }, &tags->format});
}

}  // namespace oras::cli
