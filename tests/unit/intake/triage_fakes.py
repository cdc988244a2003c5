"""A small zh+en labelled set for the classifier and triage unit tests."""

from intake.domain.classifier import Example

ROWS = {
    "billing": [
        "charged twice for my order",
        "refund has not arrived",
        "invoice amount is wrong",
        "我被重复扣款了",
        "退款还没到账",
        "发票金额不对",
        "cancel my subscription payment",
        "信用卡扣费错误",
    ],
    "technical": [
        "the app crashes on start",
        "error 500 when uploading",
        "page does not load",
        "应用打开就闪退",
        "上传文件报错",
        "网页加载不出来",
        "the sync feature is broken",
        "软件更新后无法启动",
    ],
    "account": [
        "I cannot log in to my account",
        "reset my password please",
        "change my email address",
        "账号登录不了",
        "忘记密码了怎么重置",
        "修改绑定的邮箱",
        "delete my account",
        "账户被锁定了",
    ],
}
EXAMPLES = [Example(text, "", cat) for cat, texts in ROWS.items() for text in texts]
