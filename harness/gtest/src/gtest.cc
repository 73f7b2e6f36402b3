#include "weft/harness/gtest.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace weft::harness {

namespace {
// Captures the GoogleTest results of one execution. Deterministic mode runs every goroutine on
// this thread, so intercepting the current thread sees assertions in all of them.
class GtestHooks final : public ExecutionHooks {
 public:
  void beforeExecution() override {
    results_ = std::make_unique<::testing::TestPartResultArray>();
    reporter_ = std::make_unique<::testing::ScopedFakeTestPartResultReporter>(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD,
        results_.get());
  }
  std::optional<std::string> afterExecution() override {
    reporter_.reset();
    std::string out;
    for (int i = 0; i < results_->size(); ++i) {
      const auto& r = results_->GetTestPartResult(i);
      if (!r.failed()) continue;
      out += fmt(r);
    }
    results_.reset();
    if (out.empty()) return std::nullopt;
    return out;
  }

 private:
  // One line per failure: "file:line: the assertion, its values and message" (GoogleTest's
  // multi-line summary folded), so that the report's first line says what failed.
  static std::string fmt(const ::testing::TestPartResult& r) {
    std::string where = r.file_name() != nullptr ? r.file_name() : "?";
    if (auto slash = where.rfind('/'); slash != std::string::npos) where = where.substr(slash + 1);
    std::string folded;
    std::string summary = r.summary();
    std::size_t pos = 0;
    while (pos <= summary.size()) {
      std::size_t nl = summary.find('\n', pos);
      std::string line = summary.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      line.erase(0, line.find_first_not_of(" \t"));
      if (!line.empty()) folded += (folded.empty() ? "" : " ") + line;
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    return where + ":" + std::to_string(r.line_number()) + ": " + folded + "\n";
  }
  std::unique_ptr<::testing::TestPartResultArray> results_;
  std::unique_ptr<::testing::ScopedFakeTestPartResultReporter> reporter_;
};
}  // namespace

std::string reproduceCommand() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string exe = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "<test binary>";
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return exe;
  return exe + " --gtest_filter='" + info->test_suite_name() + "." + info->name() + "'";
}

ExploreResult exploreWithGtest(const std::function<void()>& body, ExploreOptions options,
                               std::source_location where) {
  GtestHooks hooks;
  options.hooks = &hooks;
  ExploreResult r = explore(body, options, where);
  if (r.failure) r.failure->command = reproduceCommand();
  return r;
}

ExploreResult expectExplore(const std::function<void()>& body, ExploreOptions options,
                            std::source_location where) {
  ExploreResult r = exploreWithGtest(body, std::move(options), where);
  if (r.failure) {
    ::testing::internal::AssertHelper(::testing::TestPartResult::kNonFatalFailure,
                                      where.file_name(), static_cast<int>(where.line()),
                                      r.failure->format().c_str()) = ::testing::Message();
  }
  return r;
}

}  // namespace weft::harness
