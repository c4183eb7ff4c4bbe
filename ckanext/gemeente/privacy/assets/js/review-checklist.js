/* The review checklist: the questions about personal data are only relevant when the
 * officer answers "personal data present: yes"; they stay in the form (and are sent) either
 * way, so nothing typed is lost when the answer changes. */
this.ckan.module('gemeente-review-checklist', function ($) {
  return {
    initialize: function () {
      var form = this.el;
      var details = form.find('.gemeente-review-personal-details');
      function update() {
        var answer = form.find('input[name="checklist.personal_data"]:checked').val();
        details.prop('hidden', answer === 'false');
      }
      form.on('change', 'input[name="checklist.personal_data"]', update);
      update();
    }
  };
});
