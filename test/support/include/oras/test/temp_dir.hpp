// A temporary directory removed (recursively) when the object is destroyed.
#pragma once

#include <filesystem>
#include <string_view>

namespace oras::test {

class temp_dir {
  public:
    /// Creates `$TMPDIR/<prefix>XXXXXX` (mkdtemp, mode 0700). Throws std::system_error.
    explicit temp_dir(std::string_view prefix = "oras-test-");
    ~temp_dir();
    temp_dir(temp_dir&& other) noexcept;
    temp_dir& operator=(temp_dir&& other) noexcept;
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    /// path() / name
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

    /// Removes the directory now (errors ignored). Idempotent.
    void remove() noexcept;
    /// Keeps the directory on destruction and returns its path.
    std::filesystem::path release() noexcept;

  private:
    std::filesystem::path path_;
};

/// Writes `contents` to `path` (binary, truncating). Throws std::runtime_error.
/// Writes `contents` to `path`, creating its directories. Throws std::runtime_error.
void write_file(const std::filesystem::path& path, std::string_view contents);
/// Reads the whole file. Throws std::runtime_error.
std::string read_file(const std::filesystem::path& path);

}  // namespace oras::test
