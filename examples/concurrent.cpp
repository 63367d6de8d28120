// Several pushes, then several pulls, at once on ONE io_context and one thread: every artifact
// is its own coroutine (co_spawn), all of them sharing one HTTP client (its connection pool),
// one authenticating client (its tokens) and one repository target. Each artifact has a small
// text file, a larger binary file of its own and a file that every artifact shares, so the same
// blob is also pushed by several coroutines at once. The pulled files must be byte for byte the
// pushed ones; any difference, or any failed operation, exits 1.
//
//   oras_example_concurrent REGISTRY [ARTIFACTS=4]
//
// REGISTRY is host[:port] (loopback registries are reached over plain http). The input files are
// written to, and pulled into, a temporary directory that is removed at the end.
#include <oras/auth/client.hpp>
#include <oras/auth/credential_store.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

const char* const repository_name = "examples/concurrent";

struct input_file {
    std::string name;
    std::string media_type;
};

// The same three files in every artifact's directory; their contents differ except shared.bin.
const std::vector<input_file> files = {
    {"notes.txt", "text/plain"},
    {"data.bin", "application/vnd.example.data"},
    {"shared.bin", "application/vnd.example.shared"},
};

/// xorshift64 bytes: reproducible, incompressible test data.
std::string pseudo_random(std::size_t size, std::uint64_t seed) {
    std::string out(size, '\0');
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
    }
    return out;
}

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path.string());
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A temporary directory, removed with its contents whatever happens.
class scratch_dir {
  public:
    scratch_dir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/oras-concurrent-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("cannot create a temporary directory");
        }
        path_ = pattern;
    }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    const fs::path& path() const noexcept { return path_; }

  private:
    fs::path path_;
};

struct artifact {
    std::string tag;
    fs::path input;
    fs::path output;
    std::string pushed_digest;
};

/// Transfers under way across all coroutines, to show that they really overlap.
struct in_flight {
    int now = 0;
    int peak = 0;
};

oras::ops::progress_fn count_transfers(in_flight* counter) {
    return [counter](const oras::ops::progress_event& e) {
        using kind = oras::ops::progress_event::kind;
        if (e.what == kind::started) {
            counter->peak = std::max(counter->peak, ++counter->now);
        } else if (e.what == kind::finished && counter->now > 0) {
            --counter->now;
        }
    };
}

// Coroutine parameters are pointers and values, never references: GCC 12 may end the life of
// a reference's referent before the coroutine is done with it.
asio::awaitable<std::string> push_one(oras::registry::repository_target* target, artifact a,
                                      in_flight* counter) {
    oras::ops::push_options o;
    for (const auto& f : files) {
        o.files.push_back({a.input / f.name, f.media_type});
    }
    o.working_dir = a.input;  // titles are the names relative to it: notes.txt, ...
    o.tags = {a.tag};
    o.artifact_type = "application/vnd.example.concurrent";
    o.concurrency = 3;
    o.progress = count_transfers(counter);
    const auto r = co_await oras::ops::push(*target, std::move(o));
    co_return r.manifest.digest.str();
}

asio::awaitable<oras::ops::pull_result> pull_one(oras::registry::repository_target* target,
                                                 artifact a, in_flight* counter) {
    oras::ops::pull_options o;
    o.output = a.output;
    o.concurrency = 3;
    o.progress = count_transfers(counter);
    co_return co_await oras::ops::pull(*target, a.tag, std::move(o));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: " << argv[0] << " REGISTRY [ARTIFACTS=4]\n";
        return 2;
    }
    const std::string registry = argv[1];
    const int count = argc > 2 ? std::atoi(argv[2]) : 4;
    if (count < 1 || count > 64) {
        std::cerr << "error: ARTIFACTS must be 1..64\n";
        return 2;
    }
    try {
        scratch_dir dir;
        const auto shared = pseudo_random(256 * 1024, 1000);
        std::vector<artifact> artifacts;
        for (int i = 0; i < count; ++i) {
            artifact a;
            a.tag = "artifact-" + std::to_string(i);
            a.input = dir.path() / ("in-" + std::to_string(i));
            a.output = dir.path() / ("out-" + std::to_string(i));
            fs::create_directories(a.input);
            std::string notes;
            for (int line = 0; line < 50; ++line) {
                notes += "artifact " + std::to_string(i) + ", line " + std::to_string(line) + "\n";
            }
            write_file(a.input / "notes.txt", notes);
            // Sizes differ per artifact (and are not multiples of any buffer size).
            const auto size = static_cast<std::size_t>(1024 * 1024 + 4099 * i);
            write_file(a.input / "data.bin", pseudo_random(size, static_cast<std::uint64_t>(i)));
            write_file(a.input / "shared.bin", shared);
            artifacts.push_back(std::move(a));
        }

        asio::io_context io;
        oras::http::client http(io.get_executor());
        oras::auth::client auth(
            http, {.credentials = oras::auth::default_credentials({.registries = {registry}})});
        oras::registry::repository repo(auth, registry, repository_name);
        oras::registry::repository_target target(repo);
        in_flight counter;

        // Every push at once; io.run() returns when all have completed.
        std::vector<std::future<std::string>> pushes;
        for (const auto& a : artifacts) {
            pushes.push_back(asio::co_spawn(io, push_one(&target, a, &counter), asio::use_future));
        }
        io.run();
        int failures = 0;
        for (std::size_t i = 0; i < pushes.size(); ++i) {
            try {
                artifacts[i].pushed_digest = pushes[i].get();
                std::cout << "pushed " << artifacts[i].tag << " " << artifacts[i].pushed_digest
                          << "\n";
            } catch (const std::exception& e) {
                std::cerr << "error: push " << artifacts[i].tag << ": " << e.what() << "\n";
                ++failures;
            }
        }
        const int push_peak = counter.peak;
        if (failures != 0) {
            return 1;
        }

        // Every pull at once, on the same io_context, client and connection pool.
        counter = {};
        io.restart();
        std::vector<std::future<oras::ops::pull_result>> pulls;
        for (const auto& a : artifacts) {
            pulls.push_back(asio::co_spawn(io, pull_one(&target, a, &counter), asio::use_future));
        }
        io.run();
        for (std::size_t i = 0; i < pulls.size(); ++i) {
            const auto& a = artifacts[i];
            try {
                const auto r = pulls[i].get();
                if (r.manifest.digest.str() != a.pushed_digest) {
                    std::cerr << "mismatch: " << a.tag << " resolved to " << r.manifest.digest.str()
                              << ", pushed as " << a.pushed_digest << "\n";
                    ++failures;
                }
                if (r.files.size() != files.size()) {
                    std::cerr << "mismatch: " << a.tag << " pulled " << r.files.size()
                              << " files, pushed " << files.size() << "\n";
                    ++failures;
                }
                for (const auto& f : files) {
                    if (read_file(a.input / f.name) != read_file(a.output / f.name)) {
                        std::cerr << "mismatch: " << a.tag << "/" << f.name
                                  << " differs from what was pushed\n";
                        ++failures;
                    }
                }
            } catch (const std::exception& e) {
                std::cerr << "error: pull " << a.tag << ": " << e.what() << "\n";
                ++failures;
            }
        }
        if (failures != 0) {
            return 1;
        }
        std::cout << count << " artifacts pushed and pulled concurrently on one io_context: "
                  << "identical (peak transfers in flight: push " << push_peak << ", pull "
                  << counter.peak << ")\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
