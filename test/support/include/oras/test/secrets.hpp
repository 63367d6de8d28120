// Secrets the test harness hands out — registry passwords (and their Basic encodings), tokens
// and refresh tokens the test issuer grants — noted as they are made, so that the CLI tests can
// check that none ever shows in an output, a log, an error message or a file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oras::test {

/// Remembers `secret` for the rest of the test process (thread-safe; short values ignored: they
/// would match ordinary text).
void note_secret(std::string secret);

/// The first noted secret that `text` contains.
std::optional<std::string> find_secret(std::string_view text);

}  // namespace oras::test
