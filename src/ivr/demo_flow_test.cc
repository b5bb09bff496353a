#include "ivr/demo_flow.h"

#include <gtest/gtest.h>

#include "ivr/session_test_util.h"
#include "ivr/validate.h"

namespace ting::ivr {
namespace {

using ivr_test::Call;

TEST(DemoFlow, Validates) {
  std::vector<FlowError> errors;
  auto flow = compileFlow(demoFlowJson(), {}, &errors);
  ASSERT_TRUE(flow.isOk()) << flow.status().message();
  EXPECT_EQ((*flow)->start, "welcome");
  EXPECT_NE(demoFlowJson().find("\"support\""), std::string_view::npos);
}

TEST(DemoFlow, SupportQueueThenOperatorThenVoicemail) {
  Call call(*compileFlow(demoFlowJson()));
  std::string got = call.start();
  EXPECT_TRUE(got.starts_with("enter(welcome) play#1(您好")) << got;
  EXPECT_TRUE(got.ends_with("+Welcome to Ting customer service.)")) << got;
  got = call.playDone();
  EXPECT_TRUE(got.starts_with("enter(main_menu) play#2~(技术支持请按1")) << got;
  EXPECT_EQ(call.digits("1"), "stop#2 enter(to_support) transfer(queue=support)");
  EXPECT_EQ(call.transferFailed(), "enter(to_operator) transfer(ext=1001)");
  EXPECT_EQ(call.transferFailed(), "enter(busy) play#3(抱歉，坐席正忙。)");
  got = call.playDone();
  EXPECT_TRUE(got.starts_with("enter(leave_msg) play#4(请在提示音后留言")) << got;
  EXPECT_EQ(call.playDone(), "record#5(60s)");
  EXPECT_EQ(call.recordDone(true, "rec-1"),
            "callback(rec-1,13800138000,leave_msg) enter(thanks) play#6(感谢您的来电，再见。)");
  EXPECT_EQ(call.playDone(), "hangup(normal)");
}

TEST(DemoFlow, ZeroForTheOperatorAndSilenceEndsThere) {
  {
    Call call(*compileFlow(demoFlowJson()));
    call.start();
    call.playDone();
    call.playDone();
    EXPECT_EQ(call.digits("0"), "enter(to_operator) transfer(ext=1001)");
  }
  {
    Call call(*compileFlow(demoFlowJson()));
    call.start();
    call.playDone();
    call.playDone();
    EXPECT_EQ(call.digits("5"), "play#3~(输入有误，请重新选择。)");
    call.playDone();
    call.playDone();
    EXPECT_EQ(call.timeout(), "play#5~(我们没有收到您的选择。)");
    call.playDone();
    call.playDone();
    EXPECT_EQ(call.timeout(), "enter(to_operator) transfer(ext=1001)");
  }
}

}  // namespace
}  // namespace ting::ivr
