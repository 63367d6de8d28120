// oras-test-registry: starts a throwaway registry (the Debian docker-registry, via the test
// harness), runs a command against it, then stops the registry and removes its directory,
// whatever the command's outcome.
//
//   oras-test-registry [--auth none|basic|token] [--tls] [--relative-urls] -- COMMAND [ARGS...]
//
// The command sees ORAS_TEST_REGISTRY_HOST (127.0.0.1:PORT), ORAS_TEST_REGISTRY_URL,
// ORAS_TEST_REGISTRY_CA (TLS), and ORAS_TEST_USER / ORAS_TEST_PASSWORD (basic and token modes).
// The exit status is the command's.
#include <oras/test/registry_process.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    oras::test::registry_options opts;
    opts.log_level = "warn";
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--tls") {
            opts.tls = true;
        } else if (a == "--relative-urls") {
            opts.relative_urls = true;
        } else if (a == "--auth" && i + 1 < argc) {
            const std::string m = argv[++i];
            if (m == "none") {
                opts.auth = oras::test::auth_mode::none;
            } else if (m == "basic") {
                opts.auth = oras::test::auth_mode::basic;
            } else if (m == "token") {
                opts.auth = oras::test::auth_mode::token;
            } else {
                std::cerr << "oras-test-registry: unknown auth mode " << m << "\n";
                return 2;
            }
        } else {
            std::cerr << "usage: oras-test-registry [--auth none|basic|token] [--tls] "
                         "[--relative-urls] -- COMMAND [ARGS...]\n";
            return 2;
        }
    }
    if (i >= argc) {
        std::cerr << "oras-test-registry: no command given\n";
        return 2;
    }
    try {
        oras::test::registry_process reg(opts);
        std::cerr << "oras-test-registry: registry at " << reg.base_url() << "\n";
        ::setenv("ORAS_TEST_REGISTRY_HOST", reg.host().c_str(), 1);
        ::setenv("ORAS_TEST_REGISTRY_URL", reg.base_url().c_str(), 1);
        ::setenv("ORAS_TEST_REGISTRY_CA", reg.ca_file().c_str(), 1);
        if (opts.auth != oras::test::auth_mode::none) {
            ::setenv("ORAS_TEST_USER", opts.users.front().name.c_str(), 1);
            ::setenv("ORAS_TEST_PASSWORD", opts.users.front().password.c_str(), 1);
        }
        const pid_t child = ::fork();
        if (child < 0) {
            std::perror("oras-test-registry: fork");
            return 1;
        }
        if (child == 0) {
            ::execvp(argv[i], argv + i);
            std::perror("oras-test-registry: exec");
            ::_exit(127);
        }
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } catch (const std::exception& e) {
        std::cerr << "oras-test-registry: " << e.what() << "\n";
        return 1;
    }
}
