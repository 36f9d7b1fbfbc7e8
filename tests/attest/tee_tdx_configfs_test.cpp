// The "tdx" provider against a fake configfs-tsm tree: a test thread plays
// the kernel's part with inotify (populates a new report entry, answers an
// inblob write with an outblob = a recorded real TDX quote carrying that
// REPORTDATA, bumps `generation`), and extends a fake RTMR3 file the way the
// TDX guest measurements ABI does.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/shared_data.h"
#include "veil/attest/event_log.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/base/file.h"

namespace veil::attest {
namespace {

namespace fs = std::filesystem;

void write_atomically(const fs::path& path, ByteView data) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  }
  fs::rename(tmp, path);
}

Bytes read_all(const fs::path& path) {
  auto r = read_file(path.string());
  return r.ok() ? std::move(r).value() : Bytes{};
}

// TD 1.0 report body REPORTDATA: quote offset 48 + 520.
constexpr size_t kReportDataOffset = 568;

class FakeTdxKernel {
 public:
  // Registers start as `initial` (MRTD, RTMR0..3); by default MRTD 5a..,
  // RTMRi 1i.., RTMR3 zero.
  FakeTdxKernel(fs::path root, Bytes recorded_quote, std::string provider,
                std::optional<std::array<Sha384Value, 5>> initial = std::nullopt)
      : root_(std::move(root)), quote_(std::move(recorded_quote)), provider_(std::move(provider)) {
    fs::create_directories(root_ / "tsm" / "report");
    fs::create_directories(root_ / "measurements");
    std::array<Sha384Value, 5> regs{};
    if (initial) {
      regs = *initial;
    } else {
      regs[0].fill(0x5a);
      for (size_t i = 0; i < 3; ++i) regs[i + 1].fill(uint8_t(0x10 + i));
    }
    write_atomically(root_ / "measurements" / "mrtd:sha384", regs[0]);
    for (size_t i = 0; i < 4; ++i) {
      write_atomically(root_ / "measurements" / ("rtmr" + std::to_string(i) + ":sha384"), regs[i + 1]);
    }
    rtmr3_ = regs[4];
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    report_wd_ = inotify_add_watch(inotify_fd_, (root_ / "tsm" / "report").c_str(), IN_CREATE);
    mr_wd_ = inotify_add_watch(inotify_fd_, (root_ / "measurements").c_str(), IN_CLOSE_WRITE);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeTdxKernel() {
    stop_ = true;
    thread_.join();
    close(inotify_fd_);
  }

  TeeOptions options() const {
    TeeOptions o;
    o.configfs_root = (root_ / "tsm" / "report").string();
    o.rtmr3_sysfs = (root_ / "measurements" / "rtmr3:sha384").string();
    o.tdx_guest_device = (root_ / "no-tdx-guest-device").string();
    o.ccel_path = (root_ / "no-ccel").string();
    return o;
  }

  // The next inblob write is followed by a second, foreign generation bump
  // (another writer racing on the same entry).
  void race_next_request() { race_next_ = true; }
  int requests_served() const { return served_.load(); }
  int rtmr_extensions() const { return extensions_.load(); }
  bool wait_for_extensions(int n) {
    for (int i = 0; i < 2000 && extensions_.load() < n; ++i) usleep(1000);
    return extensions_.load() >= n;
  }
  Sha384Value rtmr3() const {
    std::lock_guard lock(mu_);
    return rtmr3_;
  }

 private:
  void run() {
    alignas(inotify_event) char buf[8192];
    while (!stop_) {
      pollfd pfd{inotify_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 5) <= 0) continue;
      const ssize_t n = read(inotify_fd_, buf, sizeof buf);
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        const std::string name = ev->len ? ev->name : "";
        if (ev->wd == report_wd_ && (ev->mask & IN_ISDIR)) {
          populate_entry(root_ / "tsm" / "report" / name);
        } else if (ev->wd == mr_wd_ && name == "rtmr3:sha384") {
          extend_rtmr3();
        } else if (entries_.count(ev->wd) && name == "inblob") {
          answer(entries_[ev->wd]);
        }
        off += ssize_t(sizeof(inotify_event) + ev->len);
      }
    }
  }

  // What configfs does inside mkdir: the attributes appear (provider last,
  // so a reader that sees it sees them all).
  // The watch goes on after inblob exists, so only client writes are seen.
  void populate_entry(const fs::path& dir) {
    generation_[dir] = 0;
    write_atomically(dir / "generation", as_bytes("0\n"));
    write_atomically(dir / "outblob", Bytes{});
    { std::ofstream(dir / "inblob", std::ios::binary); }
    entries_[inotify_add_watch(inotify_fd_, dir.c_str(), IN_CLOSE_WRITE)] = dir;
    write_atomically(dir / "provider", as_bytes(provider_ + "\n"));
  }

  void answer(const fs::path& dir) {
    const Bytes inblob = read_all(dir / "inblob");
    if (inblob.size() != 64) return;
    Bytes out = quote_;
    std::copy(inblob.begin(), inblob.end(), out.begin() + kReportDataOffset);
    write_atomically(dir / "outblob", out);
    ++served_;  // counted before the bump that releases the waiting reader
    uint64_t& gen = generation_[dir];
    gen += race_next_.exchange(false) ? 2 : 1;
    write_atomically(dir / "generation", as_bytes(std::to_string(gen) + "\n"));
  }

  // Measurements ABI: a 48-byte write extends; reads return the register.
  void extend_rtmr3() {
    const fs::path path = root_ / "measurements" / "rtmr3:sha384";
    const Bytes digest = read_all(path);
    if (digest.size() != 48) return;
    {
      std::lock_guard lock(mu_);
      uint8_t buf[96];
      std::memcpy(buf, rtmr3_.data(), 48);
      std::memcpy(buf + 48, digest.data(), 48);
      SHA384(buf, 96, rtmr3_.data());
      write_atomically(path, rtmr3_);
    }
    ++extensions_;
  }

  fs::path root_;
  Bytes quote_;
  std::string provider_;
  int inotify_fd_ = -1;
  int report_wd_ = -1;
  int mr_wd_ = -1;
  std::map<int, fs::path> entries_;
  std::map<fs::path, uint64_t> generation_;
  std::atomic<bool> race_next_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::atomic<int> extensions_{0};
  mutable std::mutex mu_;
  Sha384Value rtmr3_{};
  std::thread thread_;
};

class TdxConfigfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VEIL_REQUIRE_SHARED();
    recorded_ = test::read_shared("testdata/dcap-qvl/tdx_quote");
    ASSERT_GT(recorded_.size(), 1000u);
    dir_ = fs::temp_directory_path() / ("veil-tee-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::array<uint8_t, 64> rd(int i) {
    std::array<uint8_t, 64> r{};
    for (size_t k = 0; k < 64; ++k) r[k] = uint8_t(i + 7 * k);
    return r;
  }
  // The recorded quote with REPORTDATA replaced: what the fake returns.
  Bytes expected_quote(const std::array<uint8_t, 64>& r) {
    Bytes q = recorded_;
    std::copy(r.begin(), r.end(), q.begin() + kReportDataOffset);
    return q;
  }

  Bytes recorded_;
  fs::path dir_;
};

TEST_F(TdxConfigfsTest, QuoteThroughConfigfsTsm) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  auto tee = make_tee_provider("tdx", kernel.options());
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  EXPECT_EQ((*tee)->kind(), "tdx");
  EXPECT_FALSE((*tee)->simulation_info_json());
  for (int i = 0; i < 3; ++i) {
    auto q = (*tee)->quote(rd(i));
    ASSERT_TRUE(q.ok()) << q.error().to_string();
    EXPECT_EQ(*q, expected_quote(rd(i)));
  }
  EXPECT_EQ(kernel.requests_served(), 3);
}

TEST_F(TdxConfigfsTest, RetriesWhenAnotherWriterRaces) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  auto tee = make_tee_provider("tdx", kernel.options());
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  kernel.race_next_request();
  auto q = (*tee)->quote(rd(42));
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  EXPECT_EQ(*q, expected_quote(rd(42)));
  EXPECT_EQ(kernel.requests_served(), 2) << "the raced attempt is discarded and redone";
}

TEST_F(TdxConfigfsTest, ConcurrentQuotesAreSerialised) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  auto tee = make_tee_provider("tdx", kernel.options());
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        const auto r = rd(t * 10 + i);
        auto q = (*tee)->quote(r);
        if (!q.ok() || *q != expected_quote(r)) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(kernel.requests_served(), 16);
}

TEST_F(TdxConfigfsTest, WrongProviderIsRejected) {
  FakeTdxKernel kernel(dir_, recorded_, "sev_guest");
  auto tee = make_tee_provider("tdx", kernel.options());
  ASSERT_FALSE(tee.ok());
  EXPECT_EQ(tee.error().code, "tee.wrong_provider");
}

TEST_F(TdxConfigfsTest, MissingConfigfsIsAClearError) {
  TeeOptions o;
  o.configfs_root = (dir_ / "does-not-exist").string();
  auto tee = make_tee_provider("tdx", o);
  ASSERT_FALSE(tee.ok());
  EXPECT_EQ(tee.error().code, "tee.configfs_unavailable");
}

TEST_F(TdxConfigfsTest, RuntimeEventsExtendRtmr3AndReplay) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  auto tee = make_tee_provider("tdx", kernel.options());
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  const TdxMeasurements before = (*tee)->measurements();
  Sha384Value fake_mrtd{};
  fake_mrtd.fill(0x5a);
  EXPECT_EQ(before.mrtd, fake_mrtd);
  EXPECT_EQ(before.rtmr[3], Sha384Value{});

  ASSERT_TRUE((*tee)->extend_runtime_event("veil-version", as_bytes("0.1.0")).ok());
  ASSERT_TRUE(kernel.wait_for_extensions(1));
  ASSERT_TRUE((*tee)->extend_runtime_event("model-name", as_bytes("m")).ok());
  ASSERT_TRUE(kernel.wait_for_extensions(2));

  const auto log = (*tee)->event_log();
  ASSERT_EQ(log.size(), 2u);  // no CCEL in this fake: runtime events only
  EXPECT_EQ(log[0].event, "veil-version");
  EXPECT_EQ(log[1].digest, runtime_event_digest("model-name", as_bytes("m")));
  const auto replayed = replay_rtmrs(log);
  EXPECT_EQ(replayed[3], kernel.rtmr3());
  EXPECT_EQ((*tee)->measurements().rtmr[3], replayed[3]);
}

// The CCEL's boot events are served first and replay to the quote's RTMRs:
// go-tdx-guest's CCEL with the quote from the same GCP TD (SOURCES.md §7).
TEST_F(TdxConfigfsTest, CcelBootEventsReplayToTheQuote) {
  const Bytes cos_quote = test::read_shared("testdata/go-tdx-guest/ccel/cos-113-tdx-quote.dat");
  ASSERT_GT(cos_quote.size(), 632u);
  std::array<Sha384Value, 5> regs{};
  std::copy_n(cos_quote.begin() + 48 + 136, 48, regs[0].begin());  // MRTD
  for (size_t i = 0; i < 4; ++i) std::copy_n(cos_quote.begin() + 48 + 328 + 48 * i, 48, regs[i + 1].begin());
  FakeTdxKernel kernel(dir_, cos_quote, "tdx_guest", regs);
  TeeOptions o = kernel.options();
  o.ccel_path = test::shared_path("testdata/go-tdx-guest/ccel/ccel_data.dat");
  auto tee = make_tee_provider("tdx", o);
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();

  const auto boot = (*tee)->event_log();
  ASSERT_FALSE(boot.empty());
  auto q = (*tee)->quote(rd(5));
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  const auto replayed = replay_rtmrs(boot);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::equal(replayed[i].begin(), replayed[i].end(), q->begin() + 48 + 328 + 48 * i))
        << "rtmr" << i;
  }

  ASSERT_TRUE((*tee)->extend_runtime_event("veil-version", as_bytes("0.1.0")).ok());
  ASSERT_TRUE(kernel.wait_for_extensions(1));
  const auto log = (*tee)->event_log();
  ASSERT_EQ(log.size(), boot.size() + 1);
  EXPECT_EQ(log.back().event, "veil-version");
  EXPECT_EQ(replay_rtmrs(log)[3], (*tee)->measurements().rtmr[3]);
  EXPECT_EQ(replay_rtmrs(log)[0], replayed[0]);
}

TEST_F(TdxConfigfsTest, MalformedCcelMeansNoBootEventsNotAFailure) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  TeeOptions o = kernel.options();
  o.ccel_path = test::shared_path("testdata/dcap-qvl/tdx_quote");  // not a TCG2 log
  auto tee = make_tee_provider("tdx", o);
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  EXPECT_TRUE((*tee)->event_log().empty());
  EXPECT_TRUE((*tee)->quote(rd(1)).ok());
}

TEST_F(TdxConfigfsTest, ExtendFailsCleanlyWithoutSysfsOrDevice) {
  FakeTdxKernel kernel(dir_, recorded_, "tdx_guest");
  TeeOptions o = kernel.options();
  o.rtmr3_sysfs = (dir_ / "absent" / "rtmr3:sha384").string();
  auto tee = make_tee_provider("tdx", o);
  ASSERT_TRUE(tee.ok()) << tee.error().to_string();
  auto st = (*tee)->extend_runtime_event("veil-version", as_bytes("0.1.0"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "tee.rtmr_extend_failed");
  EXPECT_TRUE((*tee)->event_log().empty()) << "an event that was not measured is not served";
}

}  // namespace
}  // namespace veil::attest
