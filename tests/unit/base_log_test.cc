#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace rampart {
namespace {

// A pipe the logger writes into; Lines() returns what arrived so far.
class Capture {
 public:
  Capture() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      read_.reset(fds[0]);
      write_.reset(fds[1]);
    }
  }
  int fd() const { return write_.get(); }
  std::string Drain() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read_.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  std::vector<std::string> Lines() {
    std::string all = Drain();
    if (all.empty()) return {};
    EXPECT_EQ(all.back(), '\n');
    all.pop_back();
    return Split(all, '\n');
  }

 private:
  UniqueFd read_, write_;
};

TEST(BaseLogTest, TextFormat) {
  Capture cap;
  ASSERT_GE(cap.fd(), 0);
  Logger log(cap.fd());
  log.Warn("disk low", {{"path", "/var/lib/rampart"}, {"detail", "only 3 MiB left"}});
  log.Error("start failed");
  EXPECT_EQ(cap.Drain(),
            "rampart: warning: disk low path=/var/lib/rampart detail=\"only 3 MiB left\"\n"
            "rampart: error: start failed\n");
}

TEST(BaseLogTest, TextQuotesAndEscapes) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kInfo, "two\nlines",
                          {{"empty", ""}, {"q", "say \"hi\""}, {"eq", "a=b"}, {"nl", "x\ny"}}, 0),
            "rampart: info: two\\nlines empty=\"\" q=\"say \\\"hi\\\"\" eq=\"a=b\" "
            "nl=\"x\\ny\"\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kDebug, "m", {{"k", "v"}}, 0),
            "rampart: debug: m k=v\n");
}

TEST(BaseLogTest, LevelFiltering) {
  Capture cap;
  Logger log(cap.fd());  // default level: warning
  EXPECT_EQ(log.level(), LogLevel::kWarn);
  EXPECT_TRUE(log.Enabled(LogLevel::kError));
  EXPECT_TRUE(log.Enabled(LogLevel::kWarn));
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  log.Info("hidden");
  log.Debug("hidden");
  EXPECT_EQ(cap.Drain(), "");

  log.set_level(LogLevel::kDebug);
  log.Info("shown");
  log.Debug("shown too");
  EXPECT_EQ(cap.Lines().size(), 2u);

  log.set_level(LogLevel::kError);
  log.Warn("hidden");
  log.Error("shown");
  EXPECT_EQ(cap.Lines(), std::vector<std::string>{"rampart: error: shown"});
}

TEST(BaseLogTest, JsonLinesParseAndCarryFields) {
  Capture cap;
  Logger log(cap.fd(), LogLevel::kInfo, LogFormat::kJson);
  log.Info("container started", {{"id", "web"}, {"pid", "4242"}, {"note", "has \"quotes\"\n"}});
  log.Warn("second");
  std::vector<std::string> lines = cap.Lines();
  ASSERT_EQ(lines.size(), 2u);

  nlohmann::json first = nlohmann::json::parse(lines[0], nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(first.is_discarded()) << lines[0];
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["msg"], "container started");
  EXPECT_EQ(first["id"], "web");
  EXPECT_EQ(first["pid"], "4242");
  EXPECT_EQ(first["note"], "has \"quotes\"\n");
  ASSERT_TRUE(first["time"].is_string());
  EXPECT_TRUE(std::regex_match(first["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first["time"];
  // Key order like runc: time, level, msg, then the fields.
  EXPECT_EQ(lines[0].rfind("{\"time\":\"", 0), 0u) << lines[0];
  EXPECT_LT(lines[0].find("\"level\""), lines[0].find("\"msg\""));
  EXPECT_LT(lines[0].find("\"msg\""), lines[0].find("\"id\""));

  nlohmann::json second = nlohmann::json::parse(lines[1], nullptr, false);
  ASSERT_FALSE(second.is_discarded()) << lines[1];
  EXPECT_EQ(second["level"], "warning");
  EXPECT_EQ(second["msg"], "second");
}

TEST(BaseLogTest, JsonExactLineWithFixedTime) {
  const int64_t t = 1795927055LL * 1000000000 + 123456789;  // 2026-11-29T04:37:35.123Z
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kWarn, "msg", {{"key", "value"}}, t),
            "{\"time\":\"2026-11-29T04:37:35.123Z\",\"level\":\"warning\",\"msg\":\"msg\","
            "\"key\":\"value\"}\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kError, "x", {}, 0),
            "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"msg\":\"x\"}\n");
}

TEST(BaseLogTest, JsonFieldsCannotOverwriteFixedKeys) {
  std::string line = FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "real",
                                   {{"msg", "fake"}, {"level", "x"}}, 0);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["msg"], "real");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["fields.msg"], "fake");
  EXPECT_EQ(j["fields.level"], "x");
}

TEST(BaseLogTest, JsonSurvivesInvalidUtf8) {
  std::string line =
      FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "bad \xff\xfe", {{"path", "/tmp/\xc3"}}, 0);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["msg"].get<std::string>().rfind("bad ", 0), 0u);
}

TEST(BaseLogTest, LogKeepsErrno) {
  Logger log(-1);  // writes fail with EBADF
  errno = ENOENT;
  log.Error("lost");
  EXPECT_EQ(errno, ENOENT);
}

TEST(BaseLogTest, ParseLogLevelAndFormat) {
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  for (const char* bad : {"", "INFO", "trace", "debug "}) {
    Result<LogLevel> r = ParseLogLevel(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  }
  EXPECT_EQ(ParseLogLevel("trace").error().message(),
            "log level \"trace\": want error, warning, info or debug");

  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  Result<LogFormat> bad = ParseLogFormat("yaml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(bad.error().message(), "log format \"yaml\": want text or json");
}

}  // namespace
}  // namespace rampart
