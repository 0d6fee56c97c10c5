// Every page's few lines: a toast goes away when tapped (the Content-Security-Policy allows no inline handler).
document.addEventListener("click", function (e) {
  var toast = e.target.closest && e.target.closest(".toast");
  if (toast) toast.remove();
});
