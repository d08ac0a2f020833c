// sotay's page script: font size control and self-check quizzes. Every page works without it.
(function () {
  "use strict";
  var root = document.documentElement;

  function setupFontSize() {
    var group = document.querySelector(".font-size");
    if (!group) return;
    group.hidden = false;
    group.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-font]");
      if (!b) return;
      var cur = parseInt(root.getAttribute("data-font") || "0", 10);
      var next = Math.max(-1, Math.min(3, cur + parseInt(b.getAttribute("data-font"), 10)));
      if (next === 0) root.removeAttribute("data-font");
      else root.setAttribute("data-font", String(next));
      try { localStorage.setItem("sotay.font", String(next)); } catch (err) { /* private mode */ }
    });
  }

  function setupQuizzes() {
    document.querySelectorAll(".quiz").forEach(function (quiz) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button quiz-check";
      button.textContent = "Kiểm tra đáp án";
      var result = quiz.querySelector(".quiz-result");
      quiz.insertBefore(button, result);
      button.addEventListener("click", function () {
        var questions = quiz.querySelectorAll(".quiz-q");
        var right = 0;
        questions.forEach(function (q) {
          var ok = true;
          q.querySelectorAll("input").forEach(function (input) {
            var label = input.closest(".quiz-opt");
            var correct = input.hasAttribute("data-correct");
            label.classList.remove("right", "wrong");
            if (correct) label.classList.add("right");
            if (input.checked && !correct) label.classList.add("wrong");
            if (input.checked !== correct) ok = false;
          });
          if (ok) right++;
          var answer = q.querySelector(".quiz-answer");
          if (answer) answer.open = true;
        });
        result.textContent = "Bạn trả lời đúng " + right + "/" + questions.length + " câu.";
      });
    });
  }

  setupFontSize();
  setupQuizzes();
})();
