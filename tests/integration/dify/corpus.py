"""How each corpus file in `../shared/dify-dsl/` is run against the fake servers, and what
its run must end with. The README's corpus table is generated from this (`corpus_table`).

Every provider a file names is configured as the fake OpenAI server (the import report
says which). Inputs are generated from the Start node's types unless a scenario says
otherwise; scenarios pick the inputs, fake answers and web pages that take a run along
its main path. The fake model answers as the real one would be asked to: JSON where a node
or a prompt asks for JSON (a tool call where the node offers a tool), plain text otherwise.
"""

from __future__ import annotations

import json

from tests.integration.dify.runner import PNG, Scenario
from tests.integration.dify.web import Page

PLUGIN = "this node uses the Dify plugin '{}'"
# What the fake Wikipedia holds, by language (the fake model's keywords are "sample").
WIKIPEDIA = {"en": {"Sample (statistics)": "In statistics, a sample is a set of data."}}
NO_KNOWLEDGE_BASE = "there is no knowledge base named '{}'"

SCENARIOS: dict[str, Scenario] = {
    "01": Scenario(
        "failed",
        "stops at the LLM: the file (a Dify test fixture) chooses no model",
        error="no model configured",
    ),
    "02": Scenario(
        "succeeded",
        "branch and two code nodes in parallel, in the sandbox",
        reaches=("code", "code_2", "end"),
    ),
    "03": Scenario(
        "succeeded",
        "loop of four rounds, stopped by its break condition",
        reaches=("loop_1", "end"),
    ),
    "04": Scenario(
        "succeeded",
        "fifth turn (four before it as history): research angles, keywords, Wikipedia "
        "(built-in tool, fake server), report; the retrieval steps fail in iterations that "
        "drop failed items",
        turn=5,
        conversation={f"q{n}": f"Question {n}?" for n in range(1, 5)}
        | {"f1": "a", "f2": "b", "f3": "c", "Language": "English"},
        reaches=(
            "llm_11",
            "extractor_2",
            "iteration",
            "wikipedia_search",
            "iteration_4",
            "template",
            "answer_5",
        ),
        failing={
            "retrieval": NO_KNOWLEDGE_BASE.format("70c17aae-fb0b-4e4d-9ae0-24def4b85670"),
            "retrieval_2": NO_KNOWLEDGE_BASE.format("70c17aae-fb0b-4e4d-9ae0-24def4b85670"),
            "retrieval_3": NO_KNOWLEDGE_BASE.format("70c17aae-fb0b-4e4d-9ae0-24def4b85670"),
        },
    ),
    "05": Scenario(
        "succeeded",
        "first turn: the login form (code, conversation variable, template)",
        reaches=("code", "template", "answer"),
    ),
    "06": Scenario(
        "succeeded",
        "plan, extract the steps as JSON, iterate over them with code and LLM",
        answers=(
            (
                "提取内容中的步骤数组",
                json.dumps(
                    {
                        "steps": [
                            {"name": "理解问题", "content": "复述问题"},
                            {"name": "回答", "content": "给出答案"},
                        ]
                    },
                    ensure_ascii=False,
                ),
            ),
        ),
        reaches=("extractor", "iteration", "llm_3"),
    ),
    "07": Scenario(
        "succeeded",
        "web search off, a document attached: the file branches (see attention)",
        inputs={"web_search": "关闭"},
        attach_files=True,
        reaches=("if_else_2", "llm_7", "answer_4"),
    ),
    "10": Scenario(
        "succeeded",
        "follow-up questions searched on the (fake) SearXNG, each first link checked by HTTP "
        "and read as text (Jina Reader as web_fetch), summed up",
        pages={"example.org/": Page("Page one\n\nWhat the page says.")},
        reaches=(
            "searxng_search",
            "code_2",
            "http",
            "jina_reader",
            "template_2",
            "llm_2",
            "answer",
        ),
    ),
    "13": Scenario(
        "failed",
        "stops after the first LLM: the YAML-to-JSON step is an AWS Lambda plugin",
        error=PLUGIN.format("langgenius/aws"),
    ),
    "15": Scenario(
        "failed",
        "classifies the question, then stops at retrieval: no such knowledge base here",
        error=NO_KNOWLEDGE_BASE.format("8c4620fa-15d7-464f-9cb9-561f1a59eb3f"),
        answers=(("意图分析系统", "需要查询文档"),),
        reaches=("classifier",),
    ),
    "17": Scenario(
        "succeeded",
        "card JSON posted to the (fake) image API, URL extracted from the answer",
        answers=(("提取URL的值", '{"image_url": "https://img.example/card.png"}'),),
        pages={
            "api.imgrender.cn/open/v1/pics": Page(
                {"code": 0, "data": {"picUrl": "https://img.example/card.png"}}
            )
        },
        reaches=("http", "extractor", "end"),
    ),
    "18": Scenario(
        "succeeded",
        "outline as fenced JSON, split by code, one article per section",
        answers=(
            (
                "课程大纲",
                "```json\n"
                + json.dumps(
                    [{"chapter": "第1章", "title": "入门", "contents": ["1.1 安装", "1.2 运行"]}],
                    ensure_ascii=False,
                )
                + "\n```",
            ),
        ),
        reaches=("code", "iteration", "code_3", "end"),
    ),
    "21": Scenario(
        "succeeded",
        "text split by code, translated in an iteration of four LLM steps",
        reaches=("iteration", "template", "end"),
    ),
    "23": Scenario(
        "succeeded",
        "couplet as JSON, parsed by code, laid out by a template",
        answers=(
            (
                "春联",
                json.dumps(
                    {
                        "top": "春回大地",
                        "bottom": "福满人间",
                        "banner": "万象更新",
                        "summary": "福",
                    },
                    ensure_ascii=False,
                ),
            ),
        ),
        reaches=("code", "template", "end"),
    ),
    "25": Scenario(
        "succeeded",
        "classified as a health question: the branch without the knowledge base",
        reaches=("classifier", "llm_2", "aggregator", "end"),
    ),
    "26": Scenario(
        "failed",
        "stops at the first step: PDF parsing is the MinerU plugin",
        error=PLUGIN.format("langgenius/mineru"),
    ),
    "28": Scenario(
        "refused",
        "an Answer inside an iteration (Flowstead answers only at the top level)",
        error="answer_2: Answer nodes cannot be inside an iteration or loop",
    ),
    "29": Scenario(
        "failed",
        "second turn, asked for similar questions to the one found before: iterates with "
        "code and LLM, gets the time (built-in tool), stops at the Markdown-to-PDF plugin",
        error=PLUGIN.format("bowenliang123/md_exporter"),
        answers=(('"class_name": "生成同类型错题"', '{"class_id": "2"}'),),
        turn=2,
        conversation={"error_questions_result": ["1 + 1 = ?"]},
        reaches=("classifier", "iteration", "current_time"),
    ),
    "33": Scenario(
        "succeeded",
        "image branch: formula read by the LLMs, posted to the (fake) Word service",
        file=PNG,
        pages={"192.168.31.115:15001/api/latextword": Page({"url": "http://files/formula.docx"})},
        reaches=("llm", "aggregator", "llm_3", "http", "answer"),
    ),
    "37": Scenario(
        "succeeded",
        "invoice text extracted from the attached file, sorted by the model, answered",
        attach_files=True,
        answers=(("发票识别专家", "1"),),
        reaches=("document_extractor", "llm_3", "aggregator", "answer_2"),
    ),
    "39": Scenario(
        "refused",
        "it reads `start.marketType`, which its Start node does not declare",
        error="`start` has no output `marketType`",
    ),
    "42": Scenario(
        "succeeded",
        "API document by URL, read as text (Jina Reader as web_fetch), code written",
        inputs={"api_url": "https://api.example.com/docs", "file": None},
        pages={"api.example.com/docs": Page("GET /v1/items returns the items as JSON.")},
        reaches=("jina_reader", "aggregator", "llm", "end"),
    ),
    "44": Scenario(
        "succeeded",
        "hot list from the (fake) API, turned into JSON, each article fetched and summed up",
        answers=(
            (
                "抓取了360氪新闻榜单",
                json.dumps([{"title": "A fake headline", "url": "https://36kr.com/p/1"}]),
            ),
        ),
        pages={
            "api.vvhan.com/api/hotlist/36Ke": Page(
                {
                    "success": True,
                    "data": [{"title": "A fake headline", "url": "https://36kr.com/p/1"}],
                }
            ),
            "r.jina.ai/": Page("A fake headline\n\nThe article's text."),
        },
        reaches=("http", "code", "http_2", "llm_2", "template_2", "end"),
    ),
}
