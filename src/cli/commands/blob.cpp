// oras-cpp blob fetch / push / delete.
#include "cli/commands/commands.hpp"
#include "cli/commands/delete.hpp"
#include "cli/display/json.hpp"
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"
#include "cli/files.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/manage.hpp>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>

namespace oras::cli {

namespace {

namespace asio = boost::asio;

/// The digest a blob reference must name (`REPO@DIGEST`).
oras::digest digest_of(const ops::opened_target& t) {
    auto d = digest::parse(t.reference);
    if (t.reference.empty() || !d) {
        throw error(errc::invalid_reference, "name the blob by digest: REPOSITORY@DIGEST");
    }
    return *d;
}

struct blob_fetch_flags {
    std::string ref;
    std::string output;
    descriptor_flags desc;
    target_flags target;
};

asio::awaitable<descriptor> fetch_to(content::target& src, oras::digest d, std::string output,
                                     bool fetch, std::shared_ptr<content::blob_cache> cache,
                                     ops::progress_fn progress) {
    auto desc = co_await ops::stat_blob(src, std::move(d));
    if (!fetch) {
        co_return desc;
    }
    if (output != "-" && !written_in_place(output, "blob")) {
        // A file: written in place of the old one once whole and verified, continued where a
        // killed fetch stopped, and fetched from the registry when a cached copy is damaged.
        ops::fetch_blob_file_options o;
        o.cache = cache;
        o.progress = std::move(progress);
        co_await ops::fetch_blob_to_file(src, desc, output, std::move(o));
        co_return desc;
    }
    // Stdout, a pipe or a device: what went out cannot be taken back, so a damaged cached copy
    // fails the fetch (the entry is gone: the next run fetches the blob).
    ops::fetch_blob_options o;
    o.cache = cache;
    if (output == "-") {
        byte_sink sink = [](std::span<const std::byte> b) -> asio::awaitable<void> {
            std::cout.write(reinterpret_cast<const char*>(b.data()),
                            static_cast<std::streamsize>(b.size()));
            co_return;
        };
        co_await ops::fetch_blob(src, desc, std::move(sink), std::move(o));
        std::cout.flush();
        co_return desc;
    }
    auto file = std::make_shared<output_file>(output, "blob");
    byte_sink sink = [file](std::span<const std::byte> b) -> asio::awaitable<void> {
        file->write(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        co_return;
    };
    co_await ops::fetch_blob(src, desc, std::move(sink), std::move(o));
    file->commit();
    co_return desc;
}

int run_blob_fetch(blob_fetch_flags& f) {
    if (f.output.empty() && !f.desc.descriptor) {
        throw error(errc::invalid_argument, "give --output FILE (or -) or --descriptor");
    }
    if (f.desc.descriptor && f.output == "-") {
        throw error(errc::invalid_argument, "--descriptor and --output - exclude each other");
    }
    asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    require_one_tag(t);
    const auto cache = f.output.empty() ? nullptr : cache_from_environment();
    // A bar on a terminal while a file is written, as oras (never with `-o -`); nothing else.
    const bool bar = !f.output.empty() && f.output != "-" && f.target.tty();
    progress_display display(bar, bar, "Downloading", "Downloaded");
    ops::progress_fn progress;
    if (bar) {
        progress = display.callback();
    }
    const auto d = wait(io, fetch_to(*t.target, digest_of(t), f.output, !f.output.empty(), cache,
                                     std::move(progress)));
    display.done();
    if (cache && cache->stats().stored > 0) {  // only a cache that grew can exceed its bound
        cache->trim();
    }
    if (f.desc.descriptor) {
        print_descriptor(std::cout, d, f.desc.pretty);
    }
    return 0;
}

struct blob_push_flags {
    std::string ref;
    std::string file;
    std::string media_type = "application/vnd.oci.image.layer.v1.tar";
    std::int64_t size = -1;
    descriptor_flags desc;
    target_flags target;
};

/// Stdin as a byte source: read as it is pushed, never rewound.
byte_source stdin_reader() {
    return byte_source::from_generator(
        [](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            for (;;) {
                const auto n = ::read(STDIN_FILENO, buf.data(), buf.size());
                if (n >= 0) {
                    co_return static_cast<std::size_t>(n);
                }
                if (errno != EINTR) {
                    throw error(errc::invalid_argument, "cannot read the blob from stdin");
                }
            }
        });
}

int run_blob_push(blob_push_flags& f) {
    asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::write);
    created_layout cleanup(t);  // first: a refusal below leaves no new layout
    require_one_tag(t);
    std::optional<oras::digest> expected;
    if (!t.reference.empty()) {
        expected = digest_of(t);
    }
    std::optional<std::uint64_t> size;
    if (f.size >= 0) {
        size = static_cast<std::uint64_t>(f.size);
    }
    byte_source reader;
    if (f.file == "-") {
        if (f.target.remote.password_stdin) {
            throw error(errc::invalid_argument,
                        "the blob and --password-stdin cannot both be read from stdin");
        }
        if (!size || !expected) {
            throw error(errc::invalid_argument,
                        "a blob read from stdin needs --size and its digest (REPOSITORY@DIGEST)");
        }
        reader = stdin_reader();
    } else {
        check_input_file(f.file, "blob file");
        std::error_code ec;
        const auto length = std::filesystem::file_size(f.file, ec);
        if (ec) {
            throw error(errc::invalid_argument,
                        "cannot read the blob file \"" + f.file + "\": " + ec.message());
        }
        if (size && *size != length) {
            throw error(errc::size_mismatch, "--size " + std::to_string(*size)
                                                 + " is not the file's size, "
                                                 + std::to_string(length));
        }
        reader = byte_source::from_file(f.file, 0, length);
        size.reset();  // hashed (and sized) from the file
    }
    // A bar on a terminal, named by the media type, as oras draws one; plain lines elsewhere.
    const bool bar = !f.desc.descriptor && f.target.tty();
    progress_display display(bar, bar, "Uploading", "Uploaded");
    ops::push_blob_options o;
    if (bar) {
        o.progress = display.callback();
        o.name = f.media_type;
    }
    // A file is hashed (and its digest checked against `@DIGEST`) before anything is sent.
    const auto r = wait(io, ops::push_blob(*t.target, std::move(reader), f.media_type, expected,
                                           size, std::move(o)));
    display.done();
    cleanup.keep();
    if (f.desc.descriptor) {
        print_descriptor(std::cout, r.desc, f.desc.pretty);
        return 0;
    }
    if (!bar) {
        print_pushed_item(std::cout, r.desc, r.existed);
    }
    std::cout << "Pushed: " << t.display << "\n"
              << "Digest: " << r.desc.digest.str() << "\n";
    return 0;
}

asio::awaitable<descriptor> find_blob(content::target& t, std::string reference) {
    auto d = digest::parse(reference);
    if (!d) {
        throw error(errc::invalid_reference, "name the blob by digest: REPOSITORY@DIGEST");
    }
    co_return co_await ops::stat_blob(t, std::move(*d));
}

asio::awaitable<descriptor> remove_blob(content::target& t, descriptor d) {
    co_return co_await ops::delete_blob(t, std::move(d.digest));
}

}  // namespace

void add_blob(app& a) {
    auto* group = a.cli.add_subcommand("blob", "Fetch, push and delete blobs");
    group->require_subcommand(1);

    auto f = std::make_shared<blob_fetch_flags>();
    auto* cmd = group->add_subcommand("fetch", "Fetch a blob, verified");
    cmd->alias("get");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp blob fetch --output blob.tar.gz localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp blob fetch --output - localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp blob fetch --descriptor localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp blob fetch --oci-layout --output blob layout-dir@sha256:9a20...");
    cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY@DIGEST")->required();
    cmd->add_option("-o,--output", f->output, "Write to this file (- for stdout)");
    f->desc.add(*cmd);
    f->target.add(*cmd);
    a.commands.push_back({cmd, [f] { return run_blob_fetch(*f); }, [f] { return f->ref; }});

    auto p = std::make_shared<blob_push_flags>();
    cmd = group->add_subcommand("push", "Push a blob from a file or stdin");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp blob push localhost:5000/hello hi.txt\n"
        "  oras-cpp blob push --size 12 localhost:5000/hello@sha256:9a20... -\n"
        "  oras-cpp blob push --descriptor --pretty localhost:5000/hello hi.txt\n"
        "  oras-cpp blob push --oci-layout layout-dir hi.txt");
    cmd->add_option("reference", p->ref, "REGISTRY/REPOSITORY[@DIGEST]")->required();
    cmd->add_option("file", p->file, "The blob's file, or - for stdin")->required();
    cmd->add_option("--media-type", p->media_type, "The media type --descriptor shows");
    cmd->add_option("--size", p->size, "The blob's size (required for stdin)");
    p->desc.add(*cmd);
    p->target.add(*cmd);
    a.commands.push_back({cmd, [p] { return run_blob_push(*p); }, [p] { return p->ref; }});

    auto d = std::make_shared<delete_flags>();
    cmd = group->add_subcommand("delete", "Delete a blob");
    cmd->alias("remove");
    cmd->alias("rm");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp blob delete localhost:5000/hello@sha256:9a20...\n"
        "  oras-cpp blob delete --descriptor --force localhost:5000/hello@sha256:9a20...");
    d->add(*cmd, "REGISTRY/REPOSITORY@DIGEST", false);
    a.commands.push_back({cmd,
                          [d] {
                              return run_delete(*d, find_blob, remove_blob,
                                                [](const descriptor& found) {
                                                    return "Are you sure you want to delete the "
                                                           "blob \""
                                                           + found.digest.str() + "\"?";
                                                });
                          },
                          [d] { return d->ref; }});
}

}  // namespace oras::cli
